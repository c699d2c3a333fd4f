"""Notification outbox: rows are queued inside the caller's transaction and delivered by a
worker after commit, one claim per attempt, retried with back-off.

Flow: ``notification_queue`` (caller's transaction) → on commit the ``notification_send``
task → ``notification_send`` claims the row (pending → sending, compare-and-set), calls the
channel backend with no transaction open, records sent / retry / failed. The periodic
``notification_dispatch_due`` re-queues due retries and rescues rows whose worker died.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import phonenumbers
from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone

from waterdesk.core.memo import memo_get
from waterdesk.core.tasks import enqueue_on_commit
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.notify.backends import DeliveryError, backend_for
from waterdesk.notify.models import (
    AttemptOutcome,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationStatus,
    NotificationTemplate,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model

    # notify sits below cases and customers: it reads a case's ``number`` and
    # ``contact_phone`` and a customer's ``mobile`` and ``email``, without importing them.
    Case = Model
    Customer = Model

logger = logging.getLogger(__name__)

# The request memo prefix of the templates of one key (``core.memo``).
TEMPLATES_MEMO = "notify.templates:"

# The task that delivers one notification (``waterdesk.notify.tasks``), by its name.
NOTIFICATION_SEND_TASK = "waterdesk.notify.tasks.notification_send"

# Non-urgent SMS wait for the morning (local time, Asia/Shanghai).
QUIET_HOURS_START = time(21, 0)
QUIET_HOURS_END = time(8, 0)
MAX_BACKOFF_MINUTES = 6 * 60
# A worker that claimed a row and said nothing for this long is presumed dead.
STUCK_SENDING_AFTER = timedelta(minutes=10)
DISPATCH_BATCH_SIZE = 500
SUBJECT_MAX_LENGTH = 200


class SendOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # this attempt failed; next_attempt_at says when the next one is due
    FAILED = "failed"  # this attempt failed and it was the last one
    DEFERRED = "deferred"  # quiet hours: moved to the morning without an attempt
    SKIPPED = "skipped"  # not pending or not due: sent already, or another worker holds it


@dataclass(frozen=True)
class _Recipient:
    channel: str
    address: str
    customer: "Customer | None" = None
    user: "AbstractBaseUser | None" = None


# --- helpers -------------------------------------------------------------------------------


def mobile_address(raw: str) -> str | None:
    """The 11-digit national number when ``raw`` is a Chinese mobile number, else None."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return str(number.national_number)


def quiet_hours_end(at: datetime) -> datetime | None:
    """The 08:00 (Asia/Shanghai) that ends the quiet hours ``at`` falls in, or None."""
    local_at = at.astimezone(LOCAL_TZ)
    if QUIET_HOURS_END <= local_at.time() < QUIET_HOURS_START:
        return None
    day = local_at.date()
    if local_at.time() >= QUIET_HOURS_START:
        day += timedelta(days=1)
    return datetime.combine(day, QUIET_HOURS_END, tzinfo=LOCAL_TZ)


def _earliest_send_time(*, channel: str, is_urgent: bool, at: datetime) -> datetime:
    if channel == NotificationChannel.SMS and not is_urgent:
        return quiet_hours_end(at) or at
    return at


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, MAX_BACKOFF_MINUTES))


def _render(source: str, context: dict) -> str:
    # Plain text for SMS and e-mail: no HTML escaping.
    return Engine.get_default().from_string(source).render(Context(context, autoescape=False))


def _schedule_send(notification_id: int) -> None:
    enqueue_on_commit(NOTIFICATION_SEND_TASK, notification_id)


def _recipients(
    *,
    case: "Case | None",
    customer: "Customer | None",
    user: "AbstractBaseUser | None",
    email: str = "",
    phone: str = "",
    by_preference: bool = False,
) -> list[_Recipient]:
    """Addresses to write to. Without an explicit customer, user or phone the case's
    customer (or, lacking one, the case's contact phone) is the addressee. ``email``: the
    address the customer gave for this matter, written to instead of the customer's own;
    ``phone``: the phone a person gave for this matter (one of several callers who reported
    the same fault), texted instead of the customer's mobile and never replaced by the
    case's contact phone.

    A customer with a WeChat openid is also written to on WeChat. ``by_preference``: only
    on the channels the customer chose (``Customer.notice_channels``)."""
    recipients: list[_Recipient] = []
    phone = (phone or "").strip()
    to_case_contact = customer is None and user is None and case is not None and not phone
    if to_case_contact:
        customer = case.customer
    if customer is not None or to_case_contact or phone:
        mobile = mobile_address(phone) if phone else None
        if mobile is None and customer is not None:
            mobile = mobile_address(customer.mobile)
        if mobile is None and case is not None and not phone:
            mobile = mobile_address(case.contact_phone)
        if mobile:
            recipients.append(_Recipient(NotificationChannel.SMS, mobile, customer=customer))
        address = email.strip() or (customer.email.strip() if customer is not None else "")
        if address and settings.WATERDESK_EMAIL_ENABLED:
            recipients.append(_Recipient(NotificationChannel.EMAIL, address, customer=customer))
        openid = (getattr(customer, "wechat_openid", "") or "").strip() if customer else ""
        if openid:
            recipients.append(_Recipient(NotificationChannel.WECHAT, openid, customer=customer))
        if by_preference and customer is not None:
            chosen = set(getattr(customer, "notice_channels", None) or ())
            recipients = [r for r in recipients if r.channel in chosen]
    if user is not None:
        if user.email.strip() and settings.WATERDESK_EMAIL_ENABLED:
            recipients.append(_Recipient(NotificationChannel.EMAIL, user.email.strip(), user=user))
        profile = getattr(user, "staff_profile", None)
        mobile = mobile_address(profile.mobile) if profile is not None else None
        if mobile:
            recipients.append(_Recipient(NotificationChannel.SMS, mobile, user=user))
    return recipients


# --- services ------------------------------------------------------------------------------


# No savepoint of its own: it refuses nothing, and a failure fails the caller too.
@transaction.atomic(savepoint=False)
def notification_queue(
    *,
    template: str,
    context: dict,
    case: "Case | None" = None,
    customer: "Customer | None" = None,
    user: "AbstractBaseUser | None" = None,
    dedupe_key: str | None = None,
    urgent: bool = False,
    channels: Iterable[str] | None = None,
    email: str = "",
    phone: str = "",
    by_preference: bool = False,
) -> list[Notification]:
    """Write one outbox row per recipient address and channel that has a template for
    ``template``, and schedule their delivery for after the caller's commit.

    Call inside the caller's transaction: a rollback discards rows and scheduled sends.
    Never sends anything itself. Returns the rows created now; with ``dedupe_key`` an
    address that already has a row for the same key and channel gets none. ``channels``:
    only these (e.g. the one the customer wrote in by); ``email``: the customer's address
    for this matter (an e-mail inquiry), used instead of the customer's own;
    ``phone``: the phone a person gave for this matter (each caller of a repair), texted
    instead of the customer's or the case contact's; ``by_preference``: only on the
    channels the customer chose for notices.
    """
    templates = memo_get(
        f"{TEMPLATES_MEMO}{template}",
        lambda: {t.channel: t for t in NotificationTemplate.objects.filter(key=template)},
    )
    if not templates:
        logger.warning("notify: no template for key %r, nothing queued", template)
        return []
    render_context = {"case_number": case.number, **context} if case is not None else context
    now = timezone.now()
    queued: list[Notification] = []
    wanted = None if channels is None else frozenset(channels)
    addressees = _recipients(
        case=case,
        customer=customer,
        user=user,
        email=email,
        phone=phone,
        by_preference=by_preference,
    )
    for recipient in addressees:
        message_template = templates.get(recipient.channel)
        if message_template is None or (wanted is not None and recipient.channel not in wanted):
            continue
        try:
            body = _render(message_template.body, render_context)
            subject = " ".join(_render(message_template.subject, render_context).split())
        except TemplateSyntaxError:
            # A broken admin edit must not fail the caller's business transaction.
            logger.exception("notify: template %s/%s does not compile", template, recipient.channel)
            continue
        notification = Notification(
            template_key=template,
            channel=recipient.channel,
            is_urgent=urgent,
            recipient_address=recipient.address,
            recipient_user=recipient.user,
            customer=recipient.customer,
            case=case,
            subject=subject[:SUBJECT_MAX_LENGTH],
            body=body.strip(),
            status=NotificationStatus.PENDING,
            next_attempt_at=_earliest_send_time(
                channel=recipient.channel, is_urgent=urgent, at=now
            ),
            created_at=now,
            dedupe_key=dedupe_key,
        )
        if dedupe_key is None:
            notification.save()
        else:
            try:
                with transaction.atomic():  # savepoint: a duplicate leaves the caller's tx intact
                    notification.save()
            except IntegrityError:
                continue
        queued.append(notification)
        if notification.next_attempt_at <= now:
            _schedule_send(notification.pk)
        # Deferred rows (quiet hours) are picked up by notification_dispatch_due.
    return queued


def notification_send(*, notification_id: int) -> SendOutcome:
    """Deliver one notification if it is pending and due; safe to call twice or concurrently.

    The claim is a compare-and-set (pending → sending, attempts + 1) in autocommit; the
    backend runs with no transaction or row lock held; the result is recorded with a second
    compare-and-set on (sending, attempt number).
    """
    now = timezone.now()
    notification = Notification.objects.filter(pk=notification_id).first()
    if (
        notification is None
        or notification.status != NotificationStatus.PENDING
        or notification.next_attempt_at > now
    ):
        return SendOutcome.SKIPPED
    backend = backend_for(notification.channel)  # misconfiguration fails before the claim
    allowed_at = _earliest_send_time(
        channel=notification.channel, is_urgent=notification.is_urgent, at=now
    )
    if allowed_at > now:
        Notification.objects.filter(
            pk=notification_id, status=NotificationStatus.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=allowed_at)
        return SendOutcome.DEFERRED
    claimed = Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.PENDING, next_attempt_at__lte=now
    ).update(status=NotificationStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    if claimed != 1:
        return SendOutcome.SKIPPED
    notification.refresh_from_db()
    try:
        message_id = backend.send(notification)
    except DeliveryError as exc:
        return _record_failure(notification, error=str(exc))
    return _record_success(notification, message_id=message_id)


@transaction.atomic
def _record_success(notification: Notification, *, message_id: str) -> SendOutcome:
    finished_at = timezone.now()
    updated = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.SENDING, attempts=notification.attempts
    ).update(
        status=NotificationStatus.SENT,
        sent_at=finished_at,
        provider_message_id=message_id,
        last_error="",
    )
    if updated != 1:
        # The dispatcher took the row back as stuck; it may be delivered again.
        logger.warning("notify: %s delivered after its claim was released", notification.pk)
        return SendOutcome.SENT
    NotificationAttempt.objects.create(
        notification=notification,
        number=notification.attempts,
        started_at=notification.last_attempt_at,
        finished_at=finished_at,
        outcome=AttemptOutcome.SENT,
        provider_message_id=message_id,
    )
    return SendOutcome.SENT


@transaction.atomic
def _record_failure(notification: Notification, *, error: str) -> SendOutcome:
    finished_at = timezone.now()
    gives_up = notification.attempts >= settings.WATERDESK_NOTIFY_MAX_ATTEMPTS
    changes: dict = {"last_error": error}
    if gives_up:
        changes["status"] = NotificationStatus.FAILED
    else:
        changes["status"] = NotificationStatus.PENDING
        changes["next_attempt_at"] = _earliest_send_time(
            channel=notification.channel,
            is_urgent=notification.is_urgent,
            at=finished_at + _backoff(notification.attempts),
        )
    updated = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.SENDING, attempts=notification.attempts
    ).update(**changes)
    logger.warning(
        "notify: %s attempt %s failed: %s", notification.pk, notification.attempts, error
    )
    if updated != 1:
        return SendOutcome.SKIPPED
    NotificationAttempt.objects.create(
        notification=notification,
        number=notification.attempts,
        started_at=notification.last_attempt_at,
        finished_at=finished_at,
        outcome=AttemptOutcome.FAILED,
        error=error,
    )
    return SendOutcome.FAILED if gives_up else SendOutcome.RETRY


def notification_dispatch_due(*, now: datetime | None = None) -> int:
    """Periodic sweep: hand back rows whose worker vanished, then schedule a send for every
    pending row that is due. Returns how many sends were scheduled. Each rescued row is its
    own short transaction; the scheduling is idempotent because sends claim first."""
    now = now or timezone.now()
    _release_stuck(now)
    due_ids = list(
        Notification.objects.due(now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:DISPATCH_BATCH_SIZE]
    )
    for notification_id in due_ids:
        _schedule_send(notification_id)
    return len(due_ids)


def _release_stuck(now: datetime) -> None:
    stuck = Notification.objects.filter(
        status=NotificationStatus.SENDING, last_attempt_at__lt=now - STUCK_SENDING_AFTER
    ).only("pk", "attempts", "last_attempt_at")
    error = "worker did not report a result; attempt abandoned"
    for notification in stuck:
        gives_up = notification.attempts >= settings.WATERDESK_NOTIFY_MAX_ATTEMPTS
        with transaction.atomic():
            updated = Notification.objects.filter(
                pk=notification.pk,
                status=NotificationStatus.SENDING,
                attempts=notification.attempts,
            ).update(
                status=NotificationStatus.FAILED if gives_up else NotificationStatus.PENDING,
                next_attempt_at=now,
                last_error=error,
            )
            if updated == 1:
                NotificationAttempt.objects.create(
                    notification=notification,
                    number=notification.attempts,
                    started_at=notification.last_attempt_at,
                    finished_at=now,
                    outcome=AttemptOutcome.INTERRUPTED,
                    error=error,
                )


@transaction.atomic
def notification_retry_now(*, notification_ids: Iterable[int], actor) -> int:
    """Make pending or given-up rows due now (one more attempt for a given-up row) and
    schedule their sends after commit. Quiet hours still apply to non-urgent SMS.
    Returns how many rows were rescheduled."""
    now = timezone.now()
    retry_ids = list(
        Notification.objects.select_for_update()
        .filter(
            pk__in=list(notification_ids),
            status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED],
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Notification.objects.filter(pk__in=retry_ids).update(
        status=NotificationStatus.PENDING, next_attempt_at=now
    )
    for notification_id in retry_ids:
        _schedule_send(notification_id)
    logger.info("notify: %s rescheduled %s notification(s) %s", actor, len(retry_ids), retry_ids)
    return len(retry_ids)


# --- mass notices ---------------------------------------------------------------------------

# The registered name of the task that fans a batch out into chunks, and of the chunk task.
NOTIFICATION_SEND_BATCH_TASK = "waterdesk.notify.tasks.notification_send_batch"
NOTIFICATION_SEND_MANY_TASK = "waterdesk.notify.tasks.notification_send_many"
BULK_INSERT_SIZE = 2000
BULK_READ_SIZE = 5000
BULK_CHUNK_SIZE = 500
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_NOT_DIGIT = re.compile(r"\D")
# The channels in the order a customer's rows are written.
BULK_CHANNELS = (NotificationChannel.SMS, NotificationChannel.EMAIL, NotificationChannel.WECHAT)


def bulk_mobile(raw: str) -> str | None:
    """A Chinese mobile number for a mass notice: the digits of ``raw`` without a leading
    86 / 0086, when they are 11 digits starting 13–19; else None. (The same rule as the
    PostgreSQL statement of ``notification_queue_bulk``, so both paths agree.)"""
    digits = _NOT_DIGIT.sub("", raw or "")
    if len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _CN_MOBILE.match(digits) else None


_BULK_INSERT_SQL = """
INSERT INTO notify_notification (public_id, template_key, channel, is_urgent,
    recipient_address, recipient_user_id, customer_id, case_id, subject, body, status,
    attempts, next_attempt_at, last_attempt_at, last_error, sent_at, provider_message_id,
    created_at, dedupe_key, batch_key)
SELECT gen_random_uuid(), %(template)s, ch.channel, %(urgent)s, ch.address, NULL, a.id,
       %(case)s, r.subject, r.body, 'pending', 0, r.send_at, NULL, '', NULL, '', %(now)s,
       %(batch)s || ':c' || a.id, %(batch)s
FROM (
    SELECT c.*, CASE
        WHEN length(c.digits) = 15 AND left(c.digits, 4) = '0086' THEN substr(c.digits, 5)
        WHEN length(c.digits) = 13 AND left(c.digits, 2) = '86' THEN substr(c.digits, 3)
        ELSE c.digits END AS national
    FROM (
        SELECT q.*, regexp_replace(q.mobile, '[^0-9]', '', 'g') AS digits
        FROM ({customers}) AS q (id, mobile, email, openid, channels, priority)
    ) AS c
) AS a
CROSS JOIN LATERAL (VALUES
    (1, 'sms', CASE WHEN a.national ~ '^1[3-9][0-9]{{9}}$'
        AND (%(always_sms)s OR a.channels @> '["sms"]') THEN a.national END),
    (2, 'email', CASE WHEN %(always_email)s OR a.channels @> '["email"]'
        THEN nullif(btrim(a.email), '') END),
    (3, 'wechat', CASE WHEN %(always_wechat)s OR a.channels @> '["wechat"]'
        THEN nullif(btrim(a.openid), '') END)
) AS ch (position, channel, address)
JOIN (VALUES {rendered}) AS r (channel, subject, body, send_at) ON r.channel = ch.channel
WHERE ch.address IS NOT NULL
ORDER BY a.priority, a.id, ch.position
ON CONFLICT DO NOTHING
"""


@dataclass(frozen=True)
class _Rendered:
    subject: str
    body: str
    send_at: datetime


def _bulk_render(template: str, context: dict, *, urgent: bool, now: datetime) -> dict:
    templates = memo_get(
        f"{TEMPLATES_MEMO}{template}",
        lambda: {t.channel: t for t in NotificationTemplate.objects.filter(key=template)},
    )
    rendered: dict[str, _Rendered] = {}
    for channel, message_template in templates.items():
        if channel == NotificationChannel.EMAIL and not settings.WATERDESK_EMAIL_ENABLED:
            continue
        try:
            body = _render(message_template.body, context).strip()
            subject = " ".join(_render(message_template.subject, context).split())
        except TemplateSyntaxError:
            logger.exception("notify: template %s/%s does not compile", template, channel)
            continue
        send_at = _earliest_send_time(channel=channel, is_urgent=urgent, at=now)
        rendered[channel] = _Rendered(subject[:SUBJECT_MAX_LENGTH], body, send_at)
    return rendered


def _bulk_insert_sql(
    *, customers, priority: str, rendered, always, template, urgent, case_id, batch_key, now
) -> None:
    """PostgreSQL: the rows built by the database from the customers' query, in one
    statement."""
    inner, inner_params = customers.values_list(
        "pk", "mobile", "email", "wechat_openid", "notice_channels", priority
    ).query.sql_with_params()
    params: dict = {
        "template": template,
        "urgent": urgent,
        "case": case_id,
        "now": now,
        "batch": batch_key,
        **{f"always_{channel}": channel in always for channel in BULK_CHANNELS},
    }
    # The inner query's positional parameters, named for the outer statement.
    params.update({f"inner{n}": value for n, value in enumerate(inner_params)})
    inner = inner.replace("%", "%%").replace("%%s", "%s")
    inner = inner % tuple(f"%(inner{n})s" for n in range(len(inner_params)))
    values = []
    for channel, words in rendered.items():
        values.append(
            f"(%(ch_{channel})s, %(subject_{channel})s, %(body_{channel})s, %(at_{channel})s)"
        )
        params.update(
            {
                f"ch_{channel}": channel,
                f"subject_{channel}": words.subject,
                f"body_{channel}": words.body,
                f"at_{channel}": words.send_at,
            }
        )
    sql = _BULK_INSERT_SQL.format(customers=inner, rendered=", ".join(values))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _bulk_insert_python(
    *, customers, priority: str, rendered, always, template, urgent, case_id, batch_key, now
) -> None:
    """Elsewhere (SQLite): the same rows built here, in the customers' order."""
    rows = customers.values_list("pk", "mobile", "email", "wechat_openid", "notice_channels")
    batch: list[Notification] = []
    for pk, mobile, email, openid, chosen in rows.iterator(chunk_size=BULK_READ_SIZE):
        wanted = {*(chosen or ()), *always}
        addresses = (
            (NotificationChannel.SMS, bulk_mobile(mobile)),
            (NotificationChannel.EMAIL, (email or "").strip()),
            (NotificationChannel.WECHAT, (openid or "").strip()),
        )
        for channel, address in addresses:
            words = rendered.get(channel)
            if not address or words is None or channel not in wanted:
                continue
            batch.append(
                Notification(
                    template_key=template,
                    channel=channel,
                    is_urgent=urgent,
                    recipient_address=address,
                    customer_id=pk,
                    case_id=case_id,
                    subject=words.subject,
                    body=words.body,
                    status=NotificationStatus.PENDING,
                    next_attempt_at=words.send_at,
                    created_at=now,
                    dedupe_key=f"{batch_key}:c{pk}",
                    batch_key=batch_key,
                )
            )
        if len(batch) >= BULK_INSERT_SIZE:
            Notification.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Notification.objects.bulk_create(batch, ignore_conflicts=True)


# No savepoint of its own, as notification_queue: a failure fails the caller too.
@transaction.atomic(savepoint=False)
def notification_queue_bulk(
    *,
    template: str,
    context: dict,
    customers,
    batch_key: str,
    priority: str = "pk",
    always: Iterable[str] = (),
    case: "Case | None" = None,
    urgent: bool = False,
) -> int:
    """Queue one message per customer and channel, set-based, inside the caller's
    transaction: the words rendered once per channel (the same for every customer), the
    rows written in ``customers``' order — ``priority`` (a field or annotation of the
    queryset, lower first), then id — so that who comes first is sent first. On
    PostgreSQL the database builds the rows in one ``INSERT … SELECT`` from the customers'
    query; elsewhere they are built here and inserted in batches. After the commit one task
    fans the batch out to the workers in chunks of ``BULK_CHUNK_SIZE``.

    ``customers``: a queryset of customers (``mobile``, ``email``, ``wechat_openid``,
    ``notice_channels``); each is written to on the channels it chose for notices and on
    the ``always`` ones, where it has an address (a mobile: 11 digits from 13–19, with or
    without +86). ``batch_key`` names the mailing (≤ 100 characters, e.g. ``outage:42:3``)
    and is its dedupe key per customer: the same batch again adds nothing for a customer
    who has it on a channel. Returns how many rows the batch holds."""
    now = timezone.now()
    render_context = {"case_number": case.number, **context} if case is not None else context
    rendered = _bulk_render(template, render_context, urgent=urgent, now=now)
    if not rendered:
        logger.warning("notify: no usable template for key %r, nothing queued", template)
        return 0
    insert = _bulk_insert_sql if connection.vendor == "postgresql" else _bulk_insert_python
    insert(
        customers=customers.order_by(priority, "pk"),
        priority=priority,
        rendered=rendered,
        always=frozenset(always),
        template=template,
        urgent=urgent,
        case_id=case.pk if case is not None else None,
        batch_key=batch_key,
        now=now,
    )
    enqueue_on_commit(NOTIFICATION_SEND_BATCH_TASK, batch_key)
    return Notification.objects.filter(batch_key=batch_key).count()


def notification_send_batch(*, batch_key: str) -> int:
    """Fan a batch out: one ``notification_send_many`` task per chunk of its due pending
    rows, first queued first. Rows deferred by the quiet hours wait for the periodic
    dispatch. Safe to run twice (every send claims its row first). Returns the chunks."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(batch_key=batch_key)
        .due(now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chunks = [ids[start : start + BULK_CHUNK_SIZE] for start in range(0, len(ids), BULK_CHUNK_SIZE)]
    task = current_app.tasks[NOTIFICATION_SEND_MANY_TASK]
    for chunk in chunks:
        task.delay(chunk)
    return len(chunks)


def notification_send_many(*, notification_ids: Iterable[int]) -> int:
    """Deliver each of ``notification_ids`` in turn (``notification_send``); one failing
    delivery does not stop the others. Returns how many were sent now."""
    sent = 0
    for notification_id in notification_ids:
        if notification_send(notification_id=notification_id) == SendOutcome.SENT:
            sent += 1
    return sent


def notification_preview(*, template: str, context: dict, channel: str = "sms") -> str:
    """The body ``template`` renders to on ``channel`` with ``context`` ("" when the
    template has no such channel or does not compile): the words a mass notice sent."""
    message_template = NotificationTemplate.objects.filter(key=template, channel=channel).first()
    if message_template is None:
        return ""
    try:
        return _render(message_template.body, context).strip()
    except TemplateSyntaxError:
        return ""
