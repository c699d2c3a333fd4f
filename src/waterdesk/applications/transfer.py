"""Ownership transfer (水表过户, R-B5): one service per step, on the Case backbone.

Transfer settlement (``TransferPolicy.require_settlement``): completing issues the final
bill once (the bill is kept on the detail; a retry reuses it). When settlement is required
and the account still owes money, the case moves to ``awaiting_settlement`` (clocks paused:
the customer has to act) and completing is retried after payment; otherwise a positive
balance is carried to the new owner with a note on the account's ledger.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

# Texts that reach the customer (SMS, e-mail, the case record) are Chinese whatever the
# clerk's screen language: they are not translated.
from waterdesk.applications.account_changes import (
    ZERO,
    case_read_record,
    lock_account,
    lock_case,
    payment_methods,
    read_data,
    reject,
    settlement_bill,
    today,
)
from waterdesk.applications.intake import (
    COMPLETE_MILESTONE,
    application_register,
    application_withdraw,
    materials_supply,
    notify_customer,
    required_text,
)
from waterdesk.applications.models import (
    ApplicationKind,
    OwnershipTransfer,
    OwnershipTransferStatus,
    SettlementOutcome,
    TransferPolicy,
)
from waterdesk.applications.selectors import (
    transfer_open_for_account,
    transfer_read_latest,
    transfer_read_next_step,
)
from waterdesk.billing.models import (
    ReadKind,
    ReadStatus,
)
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.ledger import ledger_post_note
from waterdesk.cases.models import Case, Priority
from waterdesk.cases.services import (
    case_priority,
    case_transition,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.money import to_money
from waterdesk.core.timeutil import local
from waterdesk.customers import services as customer_services
from waterdesk.customers.models import Account, Customer
from waterdesk.customers.validation import validate_phone
from waterdesk.sla import services as sla

# Texts that reach the customer (SMS, e-mail, the case record) are Chinese whatever the
# clerk's screen language: they are not translated.

TRANSFER = ApplicationKind.OWNERSHIP_TRANSFER


def _transfer_detail(case: Case) -> OwnershipTransfer:
    return OwnershipTransfer.objects.select_for_update().get(case=case)


# === ownership transfer (水表过户) ==========================================================


@transaction.atomic
def ownership_transfer_register(
    *,
    actor,
    account: Account,
    channel: str,
    contact_name: str,
    contact_phone: str,
    new_customer: Customer | None = None,
    new_customer_data: dict | None = None,
    materials_received: list[str] | None = None,
    priority: str = Priority.NORMAL,
    green_channel_reason: str = "",
    summary: str = "",
    follows: Case | None = None,
) -> Case:
    """Register a transfer of ``account`` to a new owner (an existing customer, or one
    registered now from ``new_customer_data``). The checklist is the new owner's; missing
    materials produce one notice and pause the clock. Completion limit: 3 working days."""
    if not actor.has_perm("applications.intake_ownershiptransfer"):
        raise NotPermitted()
    contact_name = required_text(contact_name, field="contact_name", label=_("联系人"))
    contact_phone = validate_phone(contact_phone)
    account = lock_account(account)
    open_transfer = transfer_open_for_account(account)
    if open_transfer is not None:
        raise InvalidInput(
            _("账户 %(number)s 已有办理中的过户申请 %(case)s。")
            % {"number": account.number, "case": open_transfer.case.number},
            code="transfer_in_progress",
            field="account",
            details={"case": open_transfer.case.number},
        )
    if new_customer is None:
        if not new_customer_data:
            raise InvalidInput(_("请选择或登记新户主。"), code="required", field="customer")
        new_customer = customer_services.customer_create(actor=actor, **new_customer_data)
    if new_customer.pk == account.customer_id:
        raise InvalidInput(_("新户主与原户主相同，无需过户。"), code="same_owner", field="customer")
    priority, green_channel_reason = case_priority(new_customer, priority, green_channel_reason)
    return application_register(
        actor=actor,
        kind=TRANSFER,
        customer=new_customer,
        premise=account.premise,
        materials_received=materials_received,
        create_detail=lambda case, received: OwnershipTransfer.objects.create(
            case=case,
            account=account,
            previous_customer=account.customer,
            new_customer=new_customer,
            materials_received=received,
        ),
        milestones=(COMPLETE_MILESTONE,),
        registered_context={"customer_name": new_customer.name, "account_number": account.number},
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        priority=priority,
        green_channel_reason=green_channel_reason,
        summary=summary,
        follows=follows,
    )


@transaction.atomic
def ownership_transfer_supply_materials(
    *, actor, case: Case, materials: list[str], note: str = ""
) -> Case:
    case = lock_case(case, TRANSFER, "supply_materials", actor)
    detail = _transfer_detail(case)
    return materials_supply(actor=actor, case=case, detail=detail, materials=materials, note=note)


@transaction.atomic
def ownership_transfer_withdraw(*, actor, case: Case, reason: str) -> Case:
    """Withdraw at the customer's request (also while waiting for the old owner to settle:
    the final bill stays issued, it is the old owner's debt either way)."""
    case = lock_case(case, TRANSFER, "withdraw", actor)
    reason = required_text(reason, field="reason", label=_("撤回原因"))
    return application_withdraw(actor=actor, case=case, reason=reason)


@transaction.atomic
def ownership_transfer_verify(*, actor, case: Case, opinion: str) -> Case:
    """The clerk has checked the originals (ID card, property certificate …): verified."""
    case = lock_case(case, TRANSFER, "verify", actor)
    opinion = required_text(opinion, field="opinion", label=_("核验意见"))
    detail = _transfer_detail(case)
    case = case_transition(case=case, action="verify", actor=actor, note=opinion)
    detail.verification_opinion, detail.verified_by, detail.verified_at = (
        opinion,
        actor,
        timezone.now(),
    )
    detail.save(update_fields=["verification_opinion", "verified_by", "verified_at"])
    return case


@transaction.atomic
def ownership_transfer_verification_reject(*, actor, case: Case, opinion: str) -> Case:
    """The materials do not hold up (forged, not matching the property): rejected."""
    case = lock_case(case, TRANSFER, "verification_reject", actor)
    opinion = required_text(opinion, field="opinion", label=_("不通过原因"))
    detail = _transfer_detail(case)
    detail.verification_opinion, detail.verified_by, detail.verified_at = (
        opinion,
        actor,
        timezone.now(),
    )
    detail.rejection_reason = opinion
    detail.save(
        update_fields=["verification_opinion", "verified_by", "verified_at", "rejection_reason"]
    )
    return reject(actor=actor, case=case, action="verification_reject", reason=opinion)


@transaction.atomic
def ownership_transfer_record_read(
    *, actor, case: Case, value, read_on: date | None = None, note: str = ""
) -> Case:
    """The transfer read (过户抄表), taken on or after the intake day, entered from the case
    page; billing validates it (a read needing review blocks the completion). Entered again
    for the same day, it corrects the first one (``note`` is the reason)."""
    case = lock_case(case, TRANSFER, "record_read", actor)
    detail = _transfer_detail(case)
    read_on = read_on or today()
    if read_on < local(case.opened_at).date():
        raise InvalidInput(
            _("过户读数的抄表日期不能早于受理日期（%(day)s）。")
            % {"day": local(case.opened_at).date().isoformat()},
            code="read_before_intake",
            field="read_on",
        )
    read, corrected = case_read_record(
        actor=actor,
        account=detail.account,
        read_on=read_on,
        value=value,
        kind=ReadKind.TRANSFER,
        note=note,
        default_note=f"过户抄表 {case.number}",
        earlier=transfer_read_latest(case),
    )
    detail.transfer_read = read
    detail.save(update_fields=["transfer_read"])
    return case_transition(
        case=case,
        action="record_read",
        actor=actor,
        note=note,
        data=read_data(read, corrected_from=corrected),
    )


def _transfer_read_required(case: Case):
    """The validated transfer read, or ``transfer_read_required`` (none yet, or under review)
    with what to do next."""
    read = transfer_read_latest(case)
    if read is None or read.status != ReadStatus.VALIDATED:
        raise IllegalTransition(
            transfer_read_next_step(case, read),
            code="transfer_read_required",
            details={} if read is None else {"read_status": read.status},
        )
    return read


@transaction.atomic
def ownership_transfer_complete(*, actor, case: Case, note: str = "") -> Case:
    """Settle the old owner's account and move it to the new owner.

    1. A validated transfer read on or after intake is required (``transfer_read_required``,
       saying what to do with a read in review).
    2. The old owner's final bill is issued once, up to that read; a retry reuses it. When a
       bill already reaches the read's day (the routine read of that day, or a later one,
       was billed in a bill run), that bill settles the old owner instead.
    3. Settlement policy: money still owed and settlement required → the case waits in
       ``awaiting_settlement`` (first time) or the retry is refused with
       ``settlement_required``; not required → the balance is carried with a ledger note.
    4. The account moves to the new owner (history kept), both owners are told, the
       completion clock stops.
    """
    case = lock_case(case, TRANSFER, "complete", actor)
    detail = _transfer_detail(case)
    if detail.final_bill_id is None:
        read = _transfer_read_required(case)
        detail.transfer_read = read
        detail.final_bill = settlement_bill(
            actor=actor, case=case, account=detail.account, read=read
        )
        detail.save(update_fields=["transfer_read", "final_bill"])
    bill = detail.final_bill
    balance = to_money(account_balance(detail.account))
    policy = TransferPolicy.current()
    if balance > ZERO and policy.require_settlement:
        if detail.balance_after_final_bill is None:
            detail.balance_after_final_bill = balance
            detail.save(update_fields=["balance_after_final_bill"])
        if case.status == OwnershipTransferStatus.AWAITING_SETTLEMENT:
            raise IllegalTransition(
                _("原户主尚欠水费 %(amount)s 元，结清后方可过户。") % {"amount": balance},
                code="settlement_required",
                details={"balance": str(balance)},
            )
        case = case_transition(
            case=case,
            action="await_settlement",
            actor=actor,
            note=note,
            data={"balance": str(balance), "bill": bill.number},
        )
        sla.clocks_pause(case=case)
        notify_customer(
            case,
            "settlement_required",
            customer=detail.previous_customer,
            account_number=detail.account.number,
            bill_number=bill.number,
            bill_amount=f"{bill.amount:.2f}",
            balance=f"{balance:.2f}",
            payment_methods=payment_methods(),
        )
        return case

    if detail.balance_after_final_bill is None:
        detail.balance_after_final_bill = balance
    if balance == ZERO:
        detail.settlement = (
            SettlementOutcome.SETTLED
            if case.status == OwnershipTransferStatus.AWAITING_SETTLEMENT
            else SettlementOutcome.NOTHING_OWED
        )
    elif balance < ZERO or not policy.require_settlement:
        # Money owed (policy: carry) or a credit: it stays on the account, now the new
        # owner's; the ledger says so.
        detail.settlement = SettlementOutcome.CARRIED
        detail.carried_balance = balance
        _ledger_carry_note(actor=actor, case=case, detail=detail, balance=balance)
    now = timezone.now()
    customer_services.account_transfer_owner(
        actor=actor, account=detail.account, new_customer=detail.new_customer, reason=case.number
    )
    detail.completed_at = now
    detail.save(
        update_fields=["balance_after_final_bill", "settlement", "carried_balance", "completed_at"]
    )
    case = case_transition(
        case=case,
        action="complete",
        actor=actor,
        note=note,
        at=now,
        data={
            "account": detail.account.number,
            "from": detail.previous_customer.name,
            "to": detail.new_customer.name,
            "settlement": detail.settlement,
            "balance": str(balance),
        },
    )
    sla.clock_stop(case=case, milestone=COMPLETE_MILESTONE, at=now)
    carried = f"{detail.carried_balance:.2f}" if detail.carried_balance else ""
    notify_customer(
        case,
        "completed",
        customer=detail.new_customer,
        customer_name=detail.new_customer.name,
        account_number=detail.account.number,
        carried_balance=carried if detail.carried_balance and detail.carried_balance > 0 else "",
    )
    notify_customer(
        case,
        "completed_previous",
        customer=detail.previous_customer,
        customer_name=detail.previous_customer.name,
        account_number=detail.account.number,
        bill_number=bill.number,
        bill_amount=f"{bill.amount:.2f}",
    )
    return case


def _ledger_carry_note(*, actor, case: Case, detail: OwnershipTransfer, balance: Decimal) -> None:
    """A note on the account's ledger saying the balance went with the account to the new
    owner (the balance itself stays: the ledger is the account's); once per case."""
    text = (
        f"过户结转：原户主{detail.previous_customer.name}"
        f"{'欠费' if balance > 0 else '余额'}{abs(balance):.2f}元"
        f"随账户转至新户主{detail.new_customer.name}"
    )
    ledger_post_note(
        actor=actor,
        account=detail.account,
        text=text[:200],
        reference=case.number,
        idempotency_key=f"transfer-carry:{case.number}",
    )


SETTLED_BY_PAYMENT_NOTE = "原户主欠费已结清，系统自动办结过户"


def transfers_settle_paid(*, account: Account) -> list[str]:
    """Complete, as the system, each transfer of ``account`` waiting for the old owner to
    settle, once the account owes nothing (balance ≤ 0): called after a payment through any
    channel. Each case is its own transaction; a case that moved on meanwhile (completed,
    withdrawn) is left alone, so calling twice completes nothing twice. Returns the numbers
    of the cases completed now."""
    waiting = list(
        Case.objects.filter(
            ownership_transfer__account=account,
            status=OwnershipTransferStatus.AWAITING_SETTLEMENT,
        ).order_by("pk")
    )
    # Most payments have no transfer waiting: the balance is asked only when one is.
    if not waiting or to_money(account_balance(account)) > ZERO:
        return []
    completed = []
    for case in waiting:
        try:
            with transaction.atomic():
                case = ownership_transfer_complete(
                    actor=None, case=case, note=SETTLED_BY_PAYMENT_NOTE
                )
        except IllegalTransition:
            continue  # moved on meanwhile, or money owed again
        completed.append(case.number)
    return completed
