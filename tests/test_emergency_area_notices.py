"""The affected area of an incident or outage and its notice rounds: customers found by
zone, street and premise, each once, sensitive first; one message per customer and channel
per round, queued set-based through the outbox and sent by the batch's workers."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from tests.factories import (
    AccountFactory,
    CustomerFactory,
    PremiseFactory,
    SupplyZoneFactory,
    UserFactory,
)
from waterdesk.cases.models import Case, Channel
from waterdesk.core.errors import InvalidInput
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import AccountStatus, SensitiveCategory
from waterdesk.emergency.models import NoticeRound, WaterPoint
from waterdesk.emergency.services.area import (
    affected_counts,
    affected_customers,
    area_clean,
    area_of,
    area_record,
    area_text,
    cases_covering,
)
from waterdesk.emergency.services.notices import (
    expected_restoration_check,
    notice_round_queue,
    when_text,
)
from waterdesk.notify.models import Notification, NotificationStatus, NotificationTemplate

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def zones():
    north = SupplyZoneFactory(code="north", name="城北片区")
    east = SupplyZoneFactory(code="east", name="城东片区")
    return north, east


def _account(zone, *, street="", district="城北区", status=AccountStatus.ACTIVE, **customer):
    premise = PremiseFactory(zone=zone, street=street, district=district)
    return AccountFactory(premise=premise, customer=CustomerFactory(**customer), status=status)


def _case():
    return Case.objects.create(
        number=f"YJ-T-{Case.objects.count() + 1}",
        kind="inquiry",
        channel=Channel.PHONE,
        contact_name="应急办",
        contact_phone="",
        status="active",
        opened_at=NOON,
    )


def test_area_finds_each_customer_once_sensitive_first(zones):
    north, east = zones
    plain = _account(north)
    school = _account(north, sensitive_category=SensitiveCategory.SCHOOL)
    hospital = _account(east, street="人民路", district="城东区", sensitive_category="hospital")
    vulnerable = _account(north, is_vulnerable=True)
    # A second account of the same customer inside the area: still one customer.
    AccountFactory(customer=plain.customer, premise=PremiseFactory(zone=north))
    _account(north, status=AccountStatus.CLOSED)  # a closed account is not affected
    _account(east, street="解放路", district="城东区")  # outside: another street

    area = area_clean(zones=[north], streets=[("城东区", "人民路")])
    customers = list(affected_customers(area).values_list("pk", flat=True))

    assert customers == [
        hospital.customer_id,
        school.customer_id,
        vulnerable.customer_id,
        plain.customer_id,
    ]
    assert affected_counts(area) == (4, 3)


def test_an_area_without_customers_or_empty_is_refused(zones):
    north, east = zones
    _account(north)
    with pytest.raises(InvalidInput) as empty:
        area_clean()
    assert empty.value.code == "area_required"
    with pytest.raises(InvalidInput) as nobody:
        area_clean(zones=[east], streets=[("城北区", "无此路")])
    assert nobody.value.code == "area_no_customers"


def test_cases_covering_a_premise_by_zone_street_or_premise(zones):
    north, east = zones
    inside_street = _account(east, street="人民路", district="城东区").premise
    elsewhere = _account(east, street="解放路", district="城东区").premise
    northern = _account(north).premise
    by_zone, by_street = _case(), _case()
    area_record(case=by_zone, area=area_clean(zones=[north]))
    area_record(case=by_street, area=area_clean(streets=[("城东区", "人民路")]))

    cases = Case.objects.filter(pk__in=[by_zone.pk, by_street.pk])
    assert list(cases_covering(northern, cases=cases)) == [by_zone]
    assert list(cases_covering(inside_street, cases=cases)) == [by_street]
    assert list(cases_covering(elsewhere, cases=cases)) == []
    assert area_text(area_of(by_street)) == "城东区人民路"


@pytest.fixture
def template():
    NotificationTemplate.objects.create(
        key="emergency.test",
        channel="sms",
        body=(
            "【水务】{{ area }}停水，预计{{ expected_restoration }}恢复。取水点：{{ water_points }}"
        ),
    )
    NotificationTemplate.objects.create(
        key="emergency.test", channel="email", subject="停水通知", body="{{ area }}停水"
    )


@time_machine.travel(NOON, tick=False)
def test_a_round_queues_one_message_per_customer_and_channel_sensitive_first(
    zones, template, settings, django_capture_on_commit_callbacks
):
    settings.WATERDESK_EMAIL_ENABLED = True
    north, _east = zones
    plain = _account(north, mobile="13800138001", email="", notice_channels=["sms"])
    # A mobile written with the country code and spaces is still texted.
    emailer = _account(north, mobile="+86 138 0013 8002", notice_channels=["email"])
    care = _account(north, mobile="13800138003", email="", sensitive_category="care_home")
    AccountFactory(customer=plain.customer, premise=PremiseFactory(zone=north))
    case = _case()
    area_record(case=case, area=area_clean(zones=[north]))
    WaterPoint.objects.create(
        case=case, address="人民广场", opening_hours="8:00-20:00", supplies="送水车"
    )
    actor = UserFactory()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice = notice_round_queue(
            case=case,
            kind="announcement",
            template="emergency.test",
            context={},
            actor=actor,
            expected_restoration_at=NOON + timedelta(hours=6),
            urgent=True,
        )

    rows = list(Notification.objects.filter(batch_key=notice.batch_key).order_by("pk"))
    assert [(row.customer_id, row.channel, row.recipient_address) for row in rows] == [
        (care.customer_id, "sms", "13800138003"),
        (plain.customer_id, "sms", "13800138001"),
        (emailer.customer_id, "sms", "13800138002"),
        (emailer.customer_id, "email", emailer.customer.email),
    ]
    assert (notice.number, notice.customers, notice.sensitive_customers, notice.messages) == (
        1,
        3,
        1,
        4,
    )
    assert (
        notice.message
        == "【水务】城北片区停水，预计12月2日 18:00恢复。取水点：人民广场（送水车，8:00-20:00）"
    )
    # Delivered by the batch's chunk tasks (in-process here) after the commit.
    assert {row.status for row in rows} == {NotificationStatus.SENT}

    # The same round again adds nothing; the next round is round 2, again once each.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        again = notice_round_queue(
            case=case, kind="update", template="emergency.test", context={}, actor=actor
        )
    assert again.number == 2 and again.messages == 4
    assert Notification.objects.filter(case=case).count() == 8
    assert NoticeRound.objects.filter(case=case).count() == 2


def test_expected_restoration_in_the_past_is_refused():
    with pytest.raises(InvalidInput) as past:
        expected_restoration_check(NOON, now=NOON)
    assert past.value.code == "expected_restoration_past"
    expected_restoration_check(NOON + timedelta(minutes=1), now=NOON)
    assert when_text(NOON) == "12月2日 12:00"
