"""``python manage.py calendar``: show, due, seed, confirm."""

import datetime as dt
from io import StringIO

import holidays
import pytest
from django.core.management import CommandError, call_command

from waterdesk.sla.models import CalendarDay, CalendarYear


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("calendar", *args, stdout=out, stderr=err, no_color=True)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_due_acceptance_spring_festival_2026():
    out, err = run("due", "--start", "2026-02-13T10:00", "--working-days", "5")
    assert out == "2026-02-27 17:30 周五\n"
    assert err == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--start", "2026-03-04T10:00", "--working-hours", "4"], "2026-03-04 15:30 周三\n"),
        (["--start", "2026-03-04T16:30", "--working-hours", "4"], "2026-03-05 11:30 周四\n"),
        (["--start", "2026-02-13T10:00", "--hours", "48"], "2026-02-15 10:00 周日\n"),
        (["--start", "2026-02-13T02:00+00:00", "--hours", "1.5"], "2026-02-13 11:30 周五\n"),
    ],
)
def test_due_in_working_hours_and_calendar_hours(args, expected):
    out, _err = run("due", *args)
    assert out == expected


@pytest.mark.django_db
def test_due_over_a_provisional_year_warns():
    out, err = run("due", "--start", "2027-01-04T10:00", "--working-days", "5")
    assert out == "2027-01-11 17:30 周一\n"
    assert "PROVISIONAL" in err
    assert "2027" in err


@pytest.mark.django_db
def test_due_refuses_bad_input():
    with pytest.raises(CommandError):
        run("due", "--start", "13/02/2026", "--working-days", "5")
    with pytest.raises(CommandError):
        run("due", "--start", "2026-02-13T10:00", "--working-hours", "-1")
    with pytest.raises(CommandError):
        run("due", "--start", "2026-02-13T10:00", "--hours", "many")


@pytest.mark.django_db
def test_show_a_confirmed_year():
    out, _err = run("show", "2026")
    lines = out.splitlines()
    assert lines[0] == "2026 年工作日历（已确认）"
    assert "PROVISIONAL" not in out
    assert "  2026-02-17 周二 春节" in lines
    assert "  2026-02-14 周六 调休上班" in lines
    assert "  2026-02-28 周六 调休上班" in lines
    # February 2026: 20 weekdays − 6 days off on weekdays (16–20, 23) + 2 working Saturdays.
    assert "  2026-02 16" in lines
    # March 2026 has no override: 22 weekdays.
    assert "  2026-03 22" in lines


@pytest.mark.django_db
def test_show_a_provisional_year_warns():
    out, _err = run("show", "2027")
    assert out.splitlines()[0] == "2027 年工作日历（暂定）"
    assert "警告 PROVISIONAL：2027 年的官方放假安排尚未确认" in out
    assert "调休上班：\n  （无）" in out


@pytest.mark.django_db
def test_seed_more_years_as_provisional_when_no_make_up_days_are_known():
    out, _err = run("seed", "--years", "2028", "2029")
    assert out == "2028 年已导入：暂定（PROVISIONAL）\n2029 年已导入：暂定（PROVISIONAL）\n"
    assert list(
        CalendarYear.objects.filter(year__gte=2028).values_list("year", "is_confirmed")
    ) == [
        (2028, False),
        (2029, False),
    ]
    expected = sorted(d for d in holidays.China(years=2028) if d.year == 2028)
    assert list(CalendarDay.objects.filter(date__year=2028).values_list("date", flat=True)) == (
        expected
    )
    # Seeding again adds nothing.
    run("seed", "--years", "2028")
    assert CalendarDay.objects.filter(date__year=2028).count() == len(expected)


@pytest.mark.django_db
def test_seed_keeps_manual_edits_unless_replace(administrator):
    CalendarDay.objects.filter(date=dt.date(2026, 2, 17)).update(name="春节（初一）")
    run("seed", "--years", "2026")
    assert CalendarDay.objects.get(date=dt.date(2026, 2, 17)).name == "春节（初一）"
    run("seed", "--years", "2026", "--replace", "--user", "admin")
    assert CalendarDay.objects.get(date=dt.date(2026, 2, 17)).name == "春节"


@pytest.mark.django_db
def test_confirm_a_year(administrator):
    out, _err = run("confirm", "2027", "--user", "admin")
    assert out == "2027 年的放假安排已确认，未结工单的截止时间已重新计算。\n"
    year = CalendarYear.objects.get(year=2027)
    assert (year.is_confirmed, year.confirmed_by) == (True, administrator)
    assert "PROVISIONAL" not in run("show", "2027")[0]


@pytest.mark.django_db
def test_confirm_refuses_an_empty_year_and_an_unknown_user():
    with pytest.raises(CommandError, match="2031 年还没有任何节假日数据"):
        run("confirm", "2031")
    with pytest.raises(CommandError, match="用户不存在"):
        run("confirm", "2027", "--user", "nobody")
    assert CalendarYear.objects.get(year=2027).is_confirmed is False
    assert not CalendarYear.objects.filter(year=2031).exists()
