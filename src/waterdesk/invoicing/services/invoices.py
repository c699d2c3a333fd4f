"""The invoice lifecycle: request, issue through the tax platform, retry, reverse (冲红),
cancel, deliver.

**Amounts.** An invoice has one line per tax item (``TaxItem``, one per billing component):
the amount with tax is the sum of the covered bills' lines of that component; for a taxable
item the tax is ``amount × rate / (1 + rate)`` rounded once per line to the fen, half up
(the rate is a simple-levy rate, 3 %, for water supply by default); untaxed items (免税,
不征税) have no tax; the amount without tax is the difference. The invoice's totals are the
sums of its lines. A red-letter invoice repeats the blue one's lines negated.

**Issue.** ``invoice_request`` (staff) and the payment listener write a requested invoice
and enqueue ``invoice_issue`` after the commit. ``invoice_issue`` calls the adapter with no
transaction open, then records the answer: issued (and the link sent to the customer,
once), or failed with the reason — a temporary failure is retried by the periodic
``invoices_retry_due`` with back-off, with the same request id, so that a call that timed
out after the platform issued it comes back with that invoice, never a second one; a
permanent failure waits for someone to fix the cause and retry.

**Reverse.** An issued blue invoice is reversed by a red one: when its payment is cancelled
(``payments.hooks.payment_cancelled``, inside the approval), when one of its bills gets a
credit note (``billing.hooks.bill_credited``), or by finance with a reason. The blue one is
marked reversed and frees its bills and payment at once; the red one is issued through the
adapter after the commit like any other. An invoice never issued (requested or failed) is
cancelled instead when its reason goes away; staff cannot reverse it.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import Bill, BillLine, ComponentKind
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.money import to_money
from waterdesk.core.tasks import enqueue_on_commit
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account
from waterdesk.invoicing.adapters import (
    IssueRequest,
    IssueResult,
    Party,
    PermanentPlatformError,
    RequestItem,
    TemporaryPlatformError,
    adapter_get,
    seller_party,
)
from waterdesk.invoicing.models import (
    LIVE_STATES,
    Invoice,
    InvoiceBill,
    InvoiceDelivery,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
    InvoiceOrigin,
    InvoiceState,
    TaxItem,
    TaxTreatment,
    TitleKind,
)
from waterdesk.invoicing.selectors import (
    account_invoice_title,
    bills_settled_by_payment,
    paid_bill_ids,
)
from waterdesk.notify.services import notification_queue
from waterdesk.payments.models import Payment, PaymentStatus

logger = logging.getLogger(__name__)

ISSUE_PERMISSION = "invoicing.issue_invoice"
REVERSE_PERMISSION = "invoicing.reverse_invoice"
ISSUE_TASK = "waterdesk.invoicing.tasks.invoice_issue"
DELIVERY_TEMPLATE = "invoice.issued"
MAX_AUTOMATIC_ATTEMPTS = 8
# A requested invoice this old has lost its task (a worker died): the sweep sends it again.
STUCK_REQUESTED_AFTER = timedelta(minutes=10)
ZERO = Decimal("0.00")
REASON_MAX_LENGTH = 200


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 6 * 60))


def _event(invoice: Invoice, action: str, *, from_state: str, actor=None, note="", at=None):
    InvoiceEvent.objects.create(
        invoice=invoice,
        action=action,
        from_state=from_state,
        to_state=invoice.state,
        at=at or timezone.now(),
        actor=actor,
        note=str(note)[:300],
    )


# --- amounts -------------------------------------------------------------------------------


def line_tax(amount_with_tax: Decimal, *, treatment: str, rate: Decimal) -> Decimal:
    """The tax in ``amount_with_tax`` (rounded once, to the fen, half up)."""
    if treatment != TaxTreatment.TAXABLE or not rate:
        return ZERO
    return to_money(amount_with_tax * rate / (1 + rate))


def invoice_lines_compute(bills: list[Bill]) -> list[InvoiceLine]:
    """The (unsaved) lines of an invoice covering ``bills``: one per component with a
    non-zero amount, in the order of the components; refused when a component has no tax
    item."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, Decimal("0")])
    for line in BillLine.objects.filter(bill__in=bills).only("component_kind", "amount", "volume"):
        totals[line.component_kind][0] += line.amount
        totals[line.component_kind][1] += line.volume
    items = {item.component_kind: item for item in TaxItem.objects.all()}
    lines = []
    for kind in ComponentKind.values:
        if kind not in totals or not totals[kind][0]:
            continue
        item = items.get(kind)
        if item is None:
            raise InvalidInput(
                _("费用构成“%(kind)s”还没有配置发票税目，请财务人员先在税目页面配置。")
                % {"kind": ComponentKind(kind).label},
                code="tax_item_missing",
            )
        amount = to_money(totals[kind][0])
        tax = line_tax(amount, treatment=item.treatment, rate=item.rate)
        lines.append(
            InvoiceLine(
                component_kind=kind,
                goods_name=item.goods_name,
                tax_code=item.tax_code,
                treatment=item.treatment,
                rate=item.rate,
                simple_levy=item.simple_levy,
                unit=item.unit,
                quantity=Decimal(totals[kind][1]).quantize(Decimal("0.01")),
                amount_with_tax=amount,
                tax_amount=tax,
                amount_without_tax=amount - tax,
            )
        )
    return lines


# --- request -------------------------------------------------------------------------------


def _number(now: datetime, public_id) -> str:
    return f"FP{local(now):%Y%m%d}{public_id.hex[:8].upper()}"


def _buyer_snapshot(account: Account) -> dict:
    title = account_invoice_title(account)
    address_phone = " ".join(part for part in (title.address, title.phone) if part)
    bank = " ".join(part for part in (title.bank_name, title.bank_account) if part)
    return {
        "buyer_kind": title.kind,
        "buyer_name": title.name,
        "buyer_tax_id": title.tax_id,
        "buyer_address_phone": address_phone,
        "buyer_bank": bank,
        "buyer_email": title.email or account.customer.email,
    }


def _check_bills(account: Account, bills: list[Bill]) -> None:
    if not bills:
        raise InvalidInput(_("请选择要开票的已缴账单。"), code="no_bills", field="bills")
    for bill in bills:
        if bill.account_id != account.pk:
            raise InvalidInput(
                _("账单 %(number)s 不属于户号 %(account)s，不能开在同一张发票上。")
                % {"number": bill.number, "account": account.number},
                code="bill_wrong_account",
                field="bills",
            )
    paid = paid_bill_ids([account.pk]).get(account.pk, set())
    for bill in bills:
        if bill.pk not in paid:
            raise InvalidInput(
                _("账单 %(number)s 尚未缴清，缴清后才能开票。") % {"number": bill.number},
                code="bill_unpaid",
                field="bills",
            )
    taken = set(
        InvoiceBill.objects.filter(bill__in=bills, is_live=True).values_list(
            "bill__number", flat=True
        )
    )
    if taken:
        raise InvalidInput(
            _("账单 %(numbers)s 已开过发票；如需重开，请先将原发票冲红。")
            % {"numbers": "、".join(sorted(taken))},
            code="bill_invoiced",
            field="bills",
        )


def _check_payment(account: Account, payment: Payment) -> None:
    if payment.account_id != account.pk:
        raise InvalidInput(
            _("这笔缴费不属于户号 %(account)s。") % {"account": account.number},
            code="payment_wrong_account",
            field="payment",
        )
    if payment.status != PaymentStatus.POSTED:
        raise InvalidInput(
            _("这笔缴费已作废或冲正，不能开票。"), code="payment_not_posted", field="payment"
        )
    live = Invoice.objects.filter(
        payment=payment, kind=InvoiceKind.BLUE, state__in=LIVE_STATES
    ).first()
    if live is not None:
        raise InvalidInput(
            _("这笔缴费已开过发票（%(number)s），不能重复开票。") % {"number": live},
            code="payment_invoiced",
            field="payment",
        )


def _invoice_create(
    *,
    account: Account,
    bills: list[Bill],
    payment: Payment | None,
    origin: str,
    actor,
    issue_now: bool = True,
) -> Invoice:
    lines = invoice_lines_compute(bills)
    if not lines:
        raise InvalidInput(_("所选账单金额为零，无需开票。"), code="nothing_to_invoice")
    now = timezone.now()
    seller = seller_party()
    invoice = Invoice(
        kind=InvoiceKind.BLUE,
        origin=origin,
        state=InvoiceState.REQUESTED,
        account=account,
        payment=payment,
        seller_name=seller.name,
        seller_tax_id=seller.tax_id,
        amount_with_tax=sum((line.amount_with_tax for line in lines), ZERO),
        tax_amount=sum((line.tax_amount for line in lines), ZERO),
        amount_without_tax=sum((line.amount_without_tax for line in lines), ZERO),
        requested_at=now,
        requested_by=actor,
        **_buyer_snapshot(account),
    )
    invoice.number = _number(now, invoice.public_id)
    try:
        with transaction.atomic():  # a concurrent request for the same bills or payment
            invoice.save()
            for line in lines:
                line.invoice = invoice
            InvoiceLine.objects.bulk_create(lines)
            InvoiceBill.objects.bulk_create(
                [InvoiceBill(invoice=invoice, bill=bill, amount=bill.amount) for bill in bills]
            )
    except IntegrityError as error:
        raise InvalidInput(
            _("所选账单或缴费刚刚已开过发票，请刷新后查看。"), code="bill_invoiced"
        ) from error
    _event(invoice, "requested", from_state="", actor=actor, at=now)
    if issue_now:
        enqueue_on_commit(ISSUE_TASK, invoice.pk)
    return invoice


@transaction.atomic
def invoice_request(
    *, actor, account: Account, bills, payment: Payment | None = None, issue_now: bool = True
) -> Invoice:
    """Staff ask for an invoice of ``account``'s paid ``bills`` (optionally for
    ``payment``). Refused, with nothing written: a bill of another account, a bill not paid
    in full, a bill already on a live invoice, a payment already invoiced or cancelled.
    ``issue_now`` False leaves it requested for the periodic run (a batch sent later)."""
    require_permission(actor, ISSUE_PERMISSION)
    account = Account.objects.select_for_update().select_related("customer").get(pk=account.pk)
    chosen = list(Bill.objects.filter(pk__in=[bill.pk for bill in bills]).order_by("period_end"))
    if payment is not None:
        _check_payment(account, payment)
    _check_bills(account, chosen)
    return _invoice_create(
        account=account,
        bills=chosen,
        payment=payment,
        origin=InvoiceOrigin.MANUAL,
        actor=actor,
        issue_now=issue_now,
    )


@transaction.atomic
def invoice_request_for_payment(*, payment: Payment) -> Invoice | None:
    """After a payment: an invoice of the bills it settled in full and that have no live
    invoice, unless the account's title turns automatic invoices off, the payment already
    has one (a repeat), or it settled nothing. Returns the invoice requested, or None."""
    account = (
        Account.objects.select_for_update().select_related("customer").get(pk=payment.account_id)
    )
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != PaymentStatus.POSTED or not account_invoice_title(account).auto_issue:
        return None
    if Invoice.objects.filter(payment=payment, kind=InvoiceKind.BLUE).exists():
        return None
    invoiced = set(
        InvoiceBill.objects.filter(bill__account=account, is_live=True).values_list(
            "bill_id", flat=True
        )
    )
    bills = [bill for bill in bills_settled_by_payment(payment) if bill.pk not in invoiced]
    if not bills:
        return None
    return _invoice_create(
        account=account, bills=bills, payment=payment, origin=InvoiceOrigin.PAYMENT, actor=None
    )


# --- issue ---------------------------------------------------------------------------------


def _party_of_buyer(invoice: Invoice) -> Party:
    return Party(
        name=invoice.buyer_name,
        tax_id=invoice.buyer_tax_id,
        address_phone=invoice.buyer_address_phone,
        bank=invoice.buyer_bank,
        email=invoice.buyer_email,
        is_organisation=invoice.buyer_kind == TitleKind.ORGANISATION,
    )


def platform_request(invoice: Invoice) -> IssueRequest:
    """What the platform is sent for ``invoice`` (a red one names its blue one)."""
    items = tuple(
        RequestItem(
            name=line.goods_name,
            tax_code=line.tax_code,
            treatment=line.treatment,
            rate=line.rate,
            simple_levy=line.simple_levy,
            unit=line.unit,
            quantity=line.quantity,
            amount_with_tax=line.amount_with_tax,
            amount_without_tax=line.amount_without_tax,
            tax=line.tax_amount,
        )
        for line in invoice.lines.all()
    )
    original = invoice.reverses
    return IssueRequest(
        request_id=str(invoice.request_id),
        seller=Party(name=invoice.seller_name, tax_id=invoice.seller_tax_id, is_organisation=True),
        buyer=_party_of_buyer(invoice),
        items=items,
        amount_with_tax=invoice.amount_with_tax,
        amount_without_tax=invoice.amount_without_tax,
        tax=invoice.tax_amount,
        remark=f"户号{invoice.account.number}",
        original_number=original.platform_number if original is not None else "",
        reason=invoice.reverse_reason,
    )


def invoice_issue(*, invoice_id: int) -> Invoice | None:
    """Send a requested invoice to the platform and record the answer. Safe to run twice
    and concurrently: the platform dedupes on the request id, and the answer is recorded
    only on a requested (or, for a late answer, cancelled) invoice."""
    invoice = Invoice.objects.select_related("account", "reverses").filter(pk=invoice_id).first()
    if invoice is None or invoice.state != InvoiceState.REQUESTED:
        return invoice
    request = platform_request(invoice)
    adapter = adapter_get()
    try:
        if invoice.kind == InvoiceKind.RED:
            result = adapter.reverse(request)
        else:
            result = adapter.issue(request)
    except TemporaryPlatformError as error:
        return _record_failure(invoice_id, reason=error.reason, permanent=False)
    except PermanentPlatformError as error:
        return _record_failure(invoice_id, reason=error.reason, permanent=True)
    return _record_issued(invoice_id, result)


@transaction.atomic
def _record_failure(invoice_id: int, *, reason: str, permanent: bool) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.state != InvoiceState.REQUESTED:
        return invoice
    now = timezone.now()
    invoice.attempts += 1
    invoice.state = InvoiceState.FAILED
    invoice.failure_reason = str(reason)[:300]
    invoice.failure_is_permanent = permanent
    invoice.next_attempt_at = (
        None
        if permanent or invoice.attempts >= MAX_AUTOMATIC_ATTEMPTS
        else now + _backoff(invoice.attempts)
    )
    invoice.save(
        update_fields=[
            "attempts",
            "state",
            "failure_reason",
            "failure_is_permanent",
            "next_attempt_at",
        ]
    )
    _event(invoice, "failed", from_state=InvoiceState.REQUESTED, note=reason, at=now)
    return invoice


@transaction.atomic
def _record_issued(invoice_id: int, result: IssueResult) -> Invoice:
    invoice = (
        Invoice.objects.select_for_update().select_related("account__customer").get(pk=invoice_id)
    )
    if invoice.state not in (InvoiceState.REQUESTED, InvoiceState.CANCELLED):
        return invoice
    previous = invoice.state
    invoice.attempts += 1
    invoice.platform_number = result.number
    invoice.issued_at = result.issued_at
    invoice.pdf_url = result.pdf_url
    invoice.ofd_url = result.ofd_url
    invoice.failure_reason = ""
    invoice.failure_is_permanent = False
    invoice.next_attempt_at = None
    invoice.state = InvoiceState.ISSUED
    invoice.save(
        update_fields=[
            "attempts",
            "platform_number",
            "issued_at",
            "pdf_url",
            "ofd_url",
            "failure_reason",
            "failure_is_permanent",
            "next_attempt_at",
            "state",
        ]
    )
    _event(invoice, "issued", from_state=previous, note=result.number)
    if previous == InvoiceState.CANCELLED:
        # The platform issued it after all (an answer that came back late): reverse it.
        _reverse(invoice, reason=str(_("开票原因已撤销，平台迟到的开票结果自动冲红")), actor=None)
        return invoice
    invoice_deliver(invoice)
    if invoice.kind == InvoiceKind.RED:
        _event(
            invoice.reverses, "red_issued", from_state=invoice.reverses.state, note=result.number
        )
    return invoice


def invoice_deliver(invoice: Invoice) -> InvoiceDelivery | None:
    """Send the invoice's link to the customer (SMS, e-mail to the title's address, WeChat,
    as the customer chose), once per invoice."""
    delivery, created = InvoiceDelivery.objects.get_or_create(
        invoice=invoice, defaults={"queued_at": timezone.now(), "channels": []}
    )
    if not created:
        return delivery
    account = invoice.account
    queued = notification_queue(
        template=DELIVERY_TEMPLATE,
        context={
            "customer_name": account.customer.name,
            "account_number": account.number,
            "kind_label": str(invoice.get_kind_display()),
            "invoice_number": invoice.platform_number,
            "amount": f"{invoice.amount_with_tax:.2f}",
            "pdf_url": invoice.pdf_url,
            "ofd_url": invoice.ofd_url,
        },
        customer=account.customer,
        email=invoice.buyer_email,
        dedupe_key=f"invoice:{invoice.public_id}",
        by_preference=True,
    )
    delivery.channels = sorted({notification.channel for notification in queued})
    delivery.save(update_fields=["channels"])
    return delivery


@transaction.atomic
def invoice_retry(*, actor, invoice: Invoice) -> Invoice:
    """Staff send a failed invoice again. After a permanent failure (the platform refused
    it) the buyer is read again from the account's title (fixed meanwhile) and a new request
    id is used; after a temporary one the same request id is sent, so that nothing is
    issued twice."""
    require_permission(actor, ISSUE_PERMISSION)
    invoice = (
        Invoice.objects.select_for_update().select_related("account__customer").get(pk=invoice.pk)
    )
    if invoice.state != InvoiceState.FAILED:
        raise IllegalTransition(_("只有开具失败的发票可以重试。"), code="invoice_not_failed")
    return _retry(invoice, actor=actor)


def _retry(invoice: Invoice, *, actor) -> Invoice:
    if invoice.failure_is_permanent and invoice.kind == InvoiceKind.BLUE:
        for field, value in _buyer_snapshot(invoice.account).items():
            setattr(invoice, field, value)
        invoice.request_id = uuid.uuid4()
    invoice.state = InvoiceState.REQUESTED
    invoice.next_attempt_at = None
    invoice.save()
    _event(invoice, "retried", from_state=InvoiceState.FAILED, actor=actor)
    enqueue_on_commit(ISSUE_TASK, invoice.pk)
    return invoice


def invoices_retry_due(*, now: datetime | None = None) -> int:
    """The periodic retry: failed invoices (temporary failures) whose back-off is over, and
    requested ones whose task was lost. Returns how many were sent again."""
    now = now or timezone.now()
    count = 0
    due = Invoice.objects.filter(
        state=InvoiceState.FAILED, failure_is_permanent=False, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().select_related("account").get(pk=pk)
            if invoice.state == InvoiceState.FAILED and not invoice.failure_is_permanent:
                _retry(invoice, actor=None)
                count += 1
    stuck = Invoice.objects.filter(
        state=InvoiceState.REQUESTED, requested_at__lte=now - STUCK_REQUESTED_AFTER
    ).values_list("pk", flat=True)
    for pk in list(stuck[:500]):
        invoice_issue(invoice_id=pk)
        count += 1
    return count


# --- reverse and cancel --------------------------------------------------------------------


def _release(invoice: Invoice) -> None:
    InvoiceBill.objects.filter(invoice=invoice).update(is_live=False)


def _reverse(invoice: Invoice, *, reason: str, actor) -> Invoice:
    """The red invoice of issued ``invoice`` (locked by the caller), requested now."""
    now = timezone.now()
    previous = invoice.state
    invoice.state = InvoiceState.REVERSED
    invoice.reverse_reason = reason[:REASON_MAX_LENGTH]
    invoice.save(update_fields=["state", "reverse_reason"])
    _release(invoice)
    _event(invoice, "reversed", from_state=previous, actor=actor, note=reason, at=now)
    red = Invoice(
        kind=InvoiceKind.RED,
        origin=InvoiceOrigin.REVERSAL,
        state=InvoiceState.REQUESTED,
        account=invoice.account,
        payment=invoice.payment,
        reverses=invoice,
        reverse_reason=reason[:REASON_MAX_LENGTH],
        seller_name=invoice.seller_name,
        seller_tax_id=invoice.seller_tax_id,
        buyer_kind=invoice.buyer_kind,
        buyer_name=invoice.buyer_name,
        buyer_tax_id=invoice.buyer_tax_id,
        buyer_address_phone=invoice.buyer_address_phone,
        buyer_bank=invoice.buyer_bank,
        buyer_email=invoice.buyer_email,
        amount_with_tax=-invoice.amount_with_tax,
        tax_amount=-invoice.tax_amount,
        amount_without_tax=-invoice.amount_without_tax,
        requested_at=now,
        requested_by=actor,
    )
    red.number = _number(now, red.public_id)
    red.save()
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=red,
                component_kind=line.component_kind,
                goods_name=line.goods_name,
                tax_code=line.tax_code,
                treatment=line.treatment,
                rate=line.rate,
                simple_levy=line.simple_levy,
                unit=line.unit,
                quantity=-line.quantity,
                amount_with_tax=-line.amount_with_tax,
                tax_amount=-line.tax_amount,
                amount_without_tax=-line.amount_without_tax,
            )
            for line in invoice.lines.all()
        ]
    )
    _event(red, "requested", from_state="", actor=actor, note=reason, at=now)
    enqueue_on_commit(ISSUE_TASK, red.pk)
    return red


def _clean_reason(reason) -> str:
    text = " ".join(str(reason or "").split())
    if not text:
        raise InvalidInput(_("请填写冲红原因。"), code="reason_required", field="reason")
    return text[:REASON_MAX_LENGTH]


@transaction.atomic
def invoice_reverse(*, actor, invoice: Invoice, reason: str) -> Invoice:
    """Finance reverse an issued invoice with a reason: returns the red invoice requested.
    Refused for an invoice never issued (requested, failed: nothing to reverse), a red one
    and one already reversed."""
    require_permission(actor, REVERSE_PERMISSION)
    text = _clean_reason(reason)
    invoice = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
    if invoice.kind != InvoiceKind.BLUE:
        raise IllegalTransition(_("红字发票不能再冲红。"), code="invoice_is_red")
    if invoice.state == InvoiceState.REVERSED:
        raise IllegalTransition(_("这张发票已冲红。"), code="invoice_already_reversed")
    if invoice.state != InvoiceState.ISSUED:
        raise IllegalTransition(
            _("这张发票尚未开具成功（%(state)s），没有可冲红的发票；失败的请重试或等待自动重试。")
            % {"state": invoice.get_state_display()},
            code="invoice_not_issued",
        )
    return _reverse(invoice, reason=text, actor=actor)


def _cancel(invoice: Invoice, *, reason: str, actor) -> Invoice:
    previous = invoice.state
    invoice.state = InvoiceState.CANCELLED
    invoice.next_attempt_at = None
    invoice.save(update_fields=["state", "next_attempt_at"])
    _release(invoice)
    _event(invoice, "cancelled", from_state=previous, actor=actor, note=reason)
    return invoice


def _withdraw(invoice: Invoice, *, reason: str, actor) -> Invoice | None:
    """Reverse ``invoice`` if issued, cancel it if never issued; a dead one is left."""
    invoice = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
    if invoice.state == InvoiceState.ISSUED:
        return _reverse(invoice, reason=reason, actor=actor)
    if invoice.state in (InvoiceState.REQUESTED, InvoiceState.FAILED):
        return _cancel(invoice, reason=reason, actor=actor)
    return None


# --- listeners -----------------------------------------------------------------------------


def on_payment_posted(*, payment: Payment) -> None:
    invoice_request_for_payment(payment=payment)


def on_payment_cancelled(*, payment: Payment, correction, actor) -> None:
    """Inside the approval of a void or a reversal: the payment's live invoice is reversed
    (issued) or cancelled (never issued); what is written commits with the approval."""
    reason = str(
        _("缴费%(kind)s：%(reason)s")
        % {"kind": correction.get_kind_display(), "reason": correction.reason}
    )
    for invoice in Invoice.objects.filter(
        payment=payment, kind=InvoiceKind.BLUE, state__in=LIVE_STATES
    ):
        _withdraw(invoice, reason=reason, actor=actor)


def on_bill_credited(*, entry, bill: Bill) -> None:
    """A credit note against a bill: its live invoice is reversed (or cancelled); its other
    bills come back on the reconciliation list to be invoiced again."""
    reason = str(
        _("账单 %(number)s 已调减：%(reason)s")
        % {"number": bill.number, "reason": entry.description}
    )
    for link in InvoiceBill.objects.filter(bill=bill, is_live=True).select_related("invoice"):
        _withdraw(link.invoice, reason=reason[:REASON_MAX_LENGTH], actor=entry.created_by)
