"""The SLA admin pages edit the calendar through the services (history, recompute, warnings)."""

import datetime as dt

import pytest
from django.urls import reverse

from waterdesk.sla.models import BusinessHours, CalendarDay, CalendarYear


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", ["calendaryear", "calendarday", "businesshours", "slapolicy", "slaclock"]
)
def test_changelists_warn_about_provisional_years(admin_client, model):
    response = admin_client.get(reverse(f"admin:sla_{model}_changelist"))
    assert response.status_code == 200
    assert any("以下年度的官方放假安排尚未确认" in m and "2027" in m for m in messages_of(response))


@pytest.mark.django_db
def test_no_warning_once_every_year_is_confirmed(admin_client):
    CalendarYear.objects.update(is_confirmed=True)
    response = admin_client.get(reverse("admin:sla_calendarday_changelist"))
    assert messages_of(response) == []


@pytest.mark.django_db
def test_adding_a_day_in_the_admin_goes_through_the_service(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:sla_calendarday_add"),
        {"date": "2030-03-04", "kind": "holiday", "name": "防汛"},
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=dt.date(2030, 3, 4))
    assert (day.kind, day.name) == ("holiday", "防汛")
    assert day.history.get().history_user == admin_user
    # The service also registered the year, provisional.
    assert CalendarYear.objects.get(year=2030).is_confirmed is False


@pytest.mark.django_db
def test_changing_and_deleting_a_day_in_the_admin(admin_client, admin_user):
    day = CalendarDay.objects.get(date=dt.date(2026, 2, 14))
    response = admin_client.post(
        reverse("admin:sla_calendarday_change", args=[day.pk]),
        {"kind": "holiday", "name": "改为休息"},
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.date, day.kind, day.name) == (dt.date(2026, 2, 14), "holiday", "改为休息")

    response = admin_client.post(
        reverse("admin:sla_calendarday_delete", args=[day.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(date=dt.date(2026, 2, 14)).exists()
    assert CalendarDay.history.filter(
        date=dt.date(2026, 2, 14), history_type="-"
    ).get().history_user == (admin_user)


@pytest.mark.django_db
def test_confirm_action(admin_client, admin_user):
    year = CalendarYear.objects.get(year=2027)
    response = admin_client.post(
        reverse("admin:sla_calendaryear_changelist"),
        {"action": "confirm_years", "_selected_action": [year.pk]},
    )
    assert response.status_code == 302
    year.refresh_from_db()
    assert (year.is_confirmed, year.confirmed_by) == (True, admin_user)


@pytest.mark.django_db
def test_business_hours_edit_and_overlap_refused(admin_client):
    morning = BusinessHours.objects.get(start=dt.time(8, 30))
    response = admin_client.post(
        reverse("admin:sla_businesshours_change", args=[morning.pk]),
        {"start": "09:00", "end": "14:00"},
    )
    assert response.status_code == 200  # the form shows the overlap error
    assert "营业时段不能重叠" in response.content.decode()
    assert list(BusinessHours.objects.order_by("start").values_list("start", "end")) == [
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(17, 30)),
    ]

    response = admin_client.post(
        reverse("admin:sla_businesshours_change", args=[morning.pk]),
        {"start": "09:00", "end": "12:00"},
    )
    assert response.status_code == 302
    assert list(BusinessHours.objects.order_by("start").values_list("pk", "start", "end")) == [
        (morning.pk, dt.time(9, 0), dt.time(12, 0)),
        (BusinessHours.objects.get(start=dt.time(13, 30)).pk, dt.time(13, 30), dt.time(17, 30)),
    ]
