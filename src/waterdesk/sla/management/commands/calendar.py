"""``python manage.py calendar``: the working-day calendar for administrators.

calendar show 2026
calendar due --start 2026-02-13T10:00 --working-days 5   (or --working-hours N, --hours N)
calendar seed --years 2028 2029 [--replace]
calendar confirm 2027 [--user admin]
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import DomainError
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.sla import services
from waterdesk.sla.calendar import (
    UNIT_CALENDAR_HOURS,
    UNIT_WORKING_DAYS,
    UNIT_WORKING_HOURS,
    CalendarError,
    load_calendar,
)
from waterdesk.sla.selectors import calendar_year_overview

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _local_datetime(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            _("时间格式应为 2026-02-13T10:00：%(value)s") % {"value": value}
        ) from error
    return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise CommandError(_("时长必须是数字：%(value)s") % {"value": value}) from error
    if amount < 0:
        raise CommandError(_("时长不能为负数。"))
    return amount


def _format(value: dt.datetime) -> str:
    local = value.astimezone(LOCAL_TZ)
    return f"{local:%Y-%m-%d %H:%M} {WEEKDAYS[local.weekday()]}"


class Command(BaseCommand):
    help = "工作日历：查看年度日历、计算截止时间、导入和确认年度放假安排。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)

        show = actions.add_parser("show", help="列出某年的节假日、调休上班日和每月工作日数。")
        show.add_argument("year", type=int)

        due = actions.add_parser("due", help="计算截止时间（开始时间按北京时间）。")
        due.add_argument("--start", help="开始时间，如 2026-02-13T10:00；默认为现在。")
        amounts = due.add_mutually_exclusive_group(required=True)
        amounts.add_argument("--working-days", type=int, dest="working_days")
        amounts.add_argument("--working-hours", dest="working_hours")
        amounts.add_argument("--hours", dest="hours")

        seed = actions.add_parser("seed", help="从 holidays 软件包导入年度放假安排。")
        seed.add_argument("--years", type=int, nargs="+", required=True)
        seed.add_argument("--replace", action="store_true", help="以软件包数据覆盖该年已有的记录。")
        seed.add_argument("--user", help="操作人用户名（记入修改历史）。")

        confirm = actions.add_parser("confirm", help="确认某年的官方放假安排。")
        confirm.add_argument("year", type=int)
        confirm.add_argument("--user", help="操作人用户名（记入修改历史）。")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"handle_{action}")(**options)
        except (DomainError, CalendarError) as error:
            raise CommandError(str(getattr(error, "message", error))) from error

    def _actor(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("用户不存在：%(username)s") % {"username": username})
        return user

    def handle_show(self, *, year, **options):
        overview = calendar_year_overview(year)
        status = _("已确认") if overview["is_confirmed"] else _("暂定")
        self.stdout.write(_("%(year)s 年工作日历（%(status)s）") % {"year": year, "status": status})
        if not overview["is_confirmed"]:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "警告 PROVISIONAL：%(year)s 年的官方放假安排尚未确认，以下日历为暂定，"
                        "据此计算的截止时间可能变化。"
                    )
                    % {"year": year}
                )
            )
        self.stdout.write(_("节假日/休息日："))
        for day in overview["holidays"] or []:
            self.stdout.write(f"  {day.date} {WEEKDAYS[day.date.weekday()]} {day.name}")
        if not overview["holidays"]:
            self.stdout.write(_("  （无）"))
        self.stdout.write(_("调休上班："))
        for day in overview["workdays"]:
            self.stdout.write(f"  {day.date} {WEEKDAYS[day.date.weekday()]} {day.name}")
        if not overview["workdays"]:
            self.stdout.write(_("  （无）"))
        self.stdout.write(_("每月工作日数："))
        for month, count in overview["working_days_per_month"]:
            self.stdout.write(f"  {year}-{month:02d} {count}")
        self.stdout.write(_("全年工作日：%(count)s") % {"count": overview["working_days_total"]})

    def handle_due(self, *, start, working_days, working_hours, hours, **options):
        started_at = _local_datetime(start) if start else timezone.now()
        if working_days is not None:
            if working_days < 0:
                raise CommandError(_("时长不能为负数。"))
            unit, amount = UNIT_WORKING_DAYS, Decimal(working_days)
        elif working_hours is not None:
            unit, amount = UNIT_WORKING_HOURS, _amount(working_hours)
        else:
            unit, amount = UNIT_CALENDAR_HOURS, _amount(hours)
        calendar = load_calendar()
        due = calendar.due_at(started_at, unit, amount)
        self.stdout.write(_format(due))
        provisional = calendar.provisional_years_between(started_at, due)
        if provisional:
            self.stderr.write(
                self.style.WARNING(
                    _("警告 PROVISIONAL：%(years)s 年的官方放假安排尚未确认，结果为暂定。")
                    % {"years": "、".join(str(y) for y in provisional)}
                )
            )

    def handle_seed(self, *, years, replace, user, **options):
        actor = self._actor(user)
        for year in years:
            calendar_year = services.calendar_year_seed(actor=actor, year=year, replace=replace)
            status = _("已确认") if calendar_year.is_confirmed else _("暂定（PROVISIONAL）")
            self.stdout.write(_("%(year)s 年已导入：%(status)s") % {"year": year, "status": status})

    def handle_confirm(self, *, year, user, **options):
        services.calendar_year_confirm(actor=self._actor(user), year=year)
        self.stdout.write(
            _("%(year)s 年的放假安排已确认，未结工单的截止时间已重新计算。") % {"year": year}
        )
