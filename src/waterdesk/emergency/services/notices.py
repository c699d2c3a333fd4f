"""Notice rounds: one notice to every customer affected by an incident or a planned outage,
queued set-based through the outbox (``notify.notification_queue_bulk``) in the caller's
transaction, sensitive customers first, each customer once per round.

Channels: the ones each customer chose for notices, and SMS always when the customer has a
mobile — whether the water runs is not a message to miss. The words are the same for every
customer (what happened, the area, the water points, the expected restoration), rendered
once per channel; the round keeps the SMS text as it was sent.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput
from waterdesk.core.timeutil import local
from waterdesk.emergency.models import NoticeRound, WaterPoint
from waterdesk.emergency.services.area import (
    affected_counts,
    affected_customers,
    area_of,
    area_text,
)
from waterdesk.notify.models import NotificationChannel
from waterdesk.notify.services import notification_preview, notification_queue_bulk


def when_text(value: datetime | None) -> str:
    """``12月3日 18:00`` in local time ("" for None): how notices and pages say a time."""
    if value is None:
        return ""
    moment = local(value)
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def open_water_points(case) -> list[WaterPoint]:
    return list(WaterPoint.objects.filter(case=case, closed_at__isnull=True).order_by("pk"))


def water_points_text(points: list[WaterPoint]) -> str:
    """``人民广场（送水车，8:00-20:00）；…``, or "" with none."""
    return "；".join(
        f"{point.address}（{point.supplies}，{point.opening_hours}）" for point in points
    )


def expected_restoration_check(value: datetime | None, *, now: datetime | None = None) -> None:
    """Refuse an expected restoration time that has passed."""
    now = now or timezone.now()
    if value is not None and value <= now:
        raise InvalidInput(
            _("预计恢复时间已过，请填写今后的时间。"),
            code="expected_restoration_past",
            field="expected_restoration_at",
        )


@transaction.atomic(savepoint=False)
def notice_round_queue(
    *,
    case,
    kind: str,
    template: str,
    context: dict,
    actor,
    expected_restoration_at: datetime | None = None,
    urgent: bool = False,
    at: datetime | None = None,
) -> NoticeRound:
    """Queue notice round n+1 of ``case`` (locked by the caller) to every affected
    customer. ``context`` is the template's, completed here with ``area`` (the area in a
    sentence), ``water_points`` and ``expected_restoration`` when not given."""
    at = at or timezone.now()
    area = area_of(case)
    points = open_water_points(case)
    context = {
        "area": area_text(area),
        "water_points": water_points_text(points),
        "expected_restoration": when_text(expected_restoration_at),
        **context,
    }
    number = (NoticeRound.objects.filter(case=case).aggregate(last=Max("number"))["last"] or 0) + 1
    notice = NoticeRound.objects.create(
        case=case,
        number=number,
        kind=kind,
        expected_restoration_at=expected_restoration_at,
        queued_at=at,
        queued_by=actor if getattr(actor, "pk", None) else None,
        message=notification_preview(
            template=template, context={"case_number": case.number, **context}
        ),
    )
    notice.messages = notification_queue_bulk(
        template=template,
        context=context,
        customers=affected_customers(area),
        priority="notice_rank",
        always=(NotificationChannel.SMS,),
        batch_key=notice.batch_key,
        case=case,
        urgent=urgent,
    )
    notice.customers, notice.sensitive_customers = affected_counts(area)
    notice.save(update_fields=["messages", "customers", "sensitive_customers"])
    return notice
