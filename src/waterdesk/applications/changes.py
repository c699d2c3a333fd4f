"""Ownership transfer (水表过户, R-B5) and usage change (用水性质变更, R-B6): one service per
step, on the Case backbone like the new connection.

Each service locks the case (then its detail row), checks the move against the transition
table, writes, records the event, moves the SLA clocks and queues the customer notice — all
in one transaction. Billing is called explicitly: the transfer/change read through
``meter_read_record``, the old owner's final bill through ``bill_issue_final``, the new
tariff through ``account_tariff_set``; the account itself changes through the customers
services (``account_transfer_owner``, ``account_change_usage``), which keep its history.

Materials: the checklist of each kind is ``MaterialRequirement`` rows; rows sharing an
``alternative_group`` are alternatives (a usage change needs a business licence OR an
authority approval). Missing items produce one notice and pause the clocks, as for a new
connection.

Transfer settlement (``TransferPolicy.require_settlement``): completing issues the final
bill once (the bill is kept on the detail; a retry reuses it). When settlement is required
and the account still owes money, the case moves to ``awaiting_settlement`` (clocks paused:
the customer has to act) and completing is retried after payment; otherwise a positive
balance is carried to the new owner with a note on the account's ledger.

Usage change effective date: the approver sets it (today or later, after the last billed
day). The change read is taken on that date and splits the bill there: the usage up to and
including the read is billed at the old price (``bill_issue_final``), the account is billed
on the new tariff from the next day (``AccountTariff``), so the next cycle bill is wholly at
the new price. The bill engine prices a bill's volume prorated by days over its period; the
split bill makes the metered consumption on each side of the read count, not a share by days.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from waterdesk.applications.materials import (
    COMPLETE_MILESTONE,
    application_register,
    application_withdraw,
    intake_priority,
    materials_supply,
    notify_customer,
)
from waterdesk.applications.models import (
    NewConnectionPolicy,
    OwnershipTransfer,
    OwnershipTransferStatus,
    SettlementOutcome,
    TransferPolicy,
    UsageChange,
    VerificationMethod,
)
from waterdesk.applications.selectors import (
    change_read_on_effective_date,
    transfer_open_for_account,
    transfer_read_latest,
    usage_change_open_for_account,
)
from waterdesk.applications.services import _required_text
from waterdesk.billing.models import (
    Bill,
    ReadKind,
    ReadStatus,
    Tariff,
)
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.selectors.tariffs import tariff_price_summary, tariff_version_on
from waterdesk.billing.services.bills import bill_issue_final
from waterdesk.billing.services.ledger import ledger_post_note
from waterdesk.billing.services.reading import meter_read_record
from waterdesk.billing.services.tariffs import account_tariff_set
from waterdesk.cases.models import Case, CaseKind, Priority
from waterdesk.cases.services import (
    case_check_action,
    case_event_record,
    case_lock,
    case_transition,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.money import to_money
from waterdesk.core.timeutil import local
from waterdesk.customers import services as customer_services
from waterdesk.customers.models import Account, AccountStatus, Customer, UsageCategory
from waterdesk.customers.validation import validate_phone
from waterdesk.sla import services as sla

# Texts that reach the customer (SMS, e-mail, the case record) are Chinese whatever the
# clerk's screen language: they are not translated.

ZERO = Decimal("0.00")
TRANSFER = CaseKind.OWNERSHIP_TRANSFER
CHANGE = CaseKind.USAGE_CHANGE


def _today() -> date:
    return local(timezone.now()).date()


def _require_kind(case: Case, kind: str) -> None:
    if case.kind != kind:
        raise IllegalTransition(details={"kind": case.kind})


def _transfer_detail(case: Case) -> OwnershipTransfer:
    return OwnershipTransfer.objects.select_for_update().get(case=case)


def _change_detail(case: Case) -> UsageChange:
    return UsageChange.objects.select_for_update().get(case=case)


def _lock(case: Case, kind: str, action: str, actor) -> Case:
    """Lock the case, check that it is of ``kind`` and that ``actor`` may take ``action``
    now (refusing early, before any input is validated)."""
    case = case_lock(case)
    _require_kind(case, kind)
    case_check_action(case=case, action=action, actor=actor)
    return case


def _lock_account(account: Account | None) -> Account:
    if account is None or account.pk is None:
        raise InvalidInput(_("请输入户号查找账户。"), code="required", field="account")
    account = (
        # Only the account row is locked: it serialises the intakes of one account.
        Account.objects.select_for_update(of=("self",))
        .select_related("customer", "premise")
        .get(pk=account.pk)
    )
    if account.status == AccountStatus.CLOSED:
        raise InvalidInput(
            _("账户 %(number)s 已销户，不能办理。") % {"number": account.number},
            code="account_closed",
            field="account",
        )
    return account


def _reject(*, actor, case: Case, action: str, reason: str) -> Case:
    case = case_transition(case=case, action=action, actor=actor, note=reason, assignee=None)
    sla.clocks_cancel(case=case)
    notify_customer(case, "rejected", reason=reason)
    return case


def _payment_methods() -> str:
    # The utility's payment channels are kept once, on the application policy.
    return NewConnectionPolicy.current().payment_methods


def price_summary_text(rows: list[dict]) -> str:
    """The rows of ``tariff_price_summary`` in one Chinese line for SMS and e-mail, e.g.
    "第 1 阶梯 0–180 m³/年 5.00元/m³（供水价格2.07、水资源费1.57、污水处理费1.36）"."""
    parts = []
    for row in rows:
        components = "、".join(f"{price['name']}{price['price']:.2f}" for price in row["prices"])
        parts.append(f"{row['label']} {row['total_price']:.2f}元/m³（{components}）")
    return "；".join(parts)


def _read_data(read) -> dict:
    return {
        "read": read.pk,
        "read_on": read.read_on.isoformat(),
        "value": str(read.value),
        "consumption": None if read.consumption is None else str(read.consumption),
        "status": read.status,
    }


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
) -> Case:
    """Register a transfer of ``account`` to a new owner (an existing customer, or one
    registered now from ``new_customer_data``). The checklist is the new owner's; missing
    materials produce one notice and pause the clock. Completion limit: 3 working days."""
    if not actor.has_perm("applications.intake_ownershiptransfer"):
        raise NotPermitted()
    contact_name = _required_text(contact_name, field="contact_name", label=_("联系人"))
    contact_phone = validate_phone(contact_phone)
    account = _lock_account(account)
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
    priority, green_channel_reason = intake_priority(new_customer, priority, green_channel_reason)
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
    )


@transaction.atomic
def ownership_transfer_supply_materials(
    *, actor, case: Case, materials: list[str], note: str = ""
) -> Case:
    case = _lock(case, TRANSFER, "supply_materials", actor)
    detail = _transfer_detail(case)
    return materials_supply(actor=actor, case=case, detail=detail, materials=materials, note=note)


@transaction.atomic
def ownership_transfer_withdraw(*, actor, case: Case, reason: str) -> Case:
    """Withdraw at the customer's request (also while waiting for the old owner to settle:
    the final bill stays issued, it is the old owner's debt either way)."""
    case = _lock(case, TRANSFER, "withdraw", actor)
    reason = _required_text(reason, field="reason", label=_("撤回原因"))
    return application_withdraw(actor=actor, case=case, reason=reason)


@transaction.atomic
def ownership_transfer_verify(*, actor, case: Case, opinion: str) -> Case:
    """The clerk has checked the originals (ID card, property certificate …): verified."""
    case = _lock(case, TRANSFER, "verify", actor)
    opinion = _required_text(opinion, field="opinion", label=_("核验意见"))
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
    case = _lock(case, TRANSFER, "verification_reject", actor)
    opinion = _required_text(opinion, field="opinion", label=_("不通过原因"))
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
    return _reject(actor=actor, case=case, action="verification_reject", reason=opinion)


@transaction.atomic
def ownership_transfer_record_read(
    *, actor, case: Case, value, read_on: date | None = None, note: str = ""
) -> Case:
    """The transfer read (过户抄表), taken on or after the intake day, entered from the case
    page; billing validates it (a read needing review blocks the completion)."""
    case = _lock(case, TRANSFER, "record_read", actor)
    detail = _transfer_detail(case)
    read_on = read_on or _today()
    if read_on < local(case.opened_at).date():
        raise InvalidInput(
            _("过户读数的抄表日期不能早于受理日期。"), code="read_before_intake", field="read_on"
        )
    read = meter_read_record(
        actor=actor,
        account=detail.account,
        read_on=read_on,
        value=value,
        kind=ReadKind.TRANSFER,
        note=note or f"过户抄表 {case.number}",
    )
    detail.transfer_read = read
    detail.save(update_fields=["transfer_read"])
    return case_transition(
        case=case, action="record_read", actor=actor, note=note, data=_read_data(read)
    )


def _transfer_read_required(case: Case):
    """The validated transfer read, or ``transfer_read_required`` (none yet, or under review)."""
    read = transfer_read_latest(case)
    if read is None:
        raise IllegalTransition(
            _("该账户自上次出账后尚未结算：请先录入过户抄表读数。"),
            code="transfer_read_required",
        )
    if read.status != ReadStatus.VALIDATED:
        raise IllegalTransition(
            _("过户读数（%(day)s）待复核，复核通过后方可过户。") % {"day": read.read_on},
            code="transfer_read_required",
            details={"read_status": read.status},
        )
    return read


@transaction.atomic
def ownership_transfer_complete(*, actor, case: Case, note: str = "") -> Case:
    """Settle the old owner's account and move it to the new owner.

    1. A validated transfer read on or after intake is required (``transfer_read_required``).
    2. The old owner's final bill is issued once, up to that read; a retry reuses it.
    3. Settlement policy: money still owed and settlement required → the case waits in
       ``awaiting_settlement`` (first time) or the retry is refused with
       ``settlement_required``; not required → the balance is carried with a ledger note.
    4. The account moves to the new owner (history kept), both owners are told, the
       completion clock stops.
    """
    case = _lock(case, TRANSFER, "complete", actor)
    detail = _transfer_detail(case)
    if detail.final_bill_id is None:
        read = _transfer_read_required(case)
        bill = Bill.objects.filter(closing_read=read).first()
        if bill is None:
            bill = bill_issue_final(actor=actor, account=detail.account, closing_read=read)
        detail.transfer_read = read
        detail.final_bill = bill
        detail.save(update_fields=["transfer_read", "final_bill"])
        case_event_record(
            case=case,
            actor=actor,
            action="final_bill",
            data={"bill": bill.number, "amount": str(bill.amount), "read": read.pk},
        )
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
            payment_methods=_payment_methods(),
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


# === usage change (用水性质变更) ============================================================


def _default_tariff(usage_category: str) -> Tariff | None:
    return Tariff.objects.filter(usage_category=usage_category, is_default=True).first()


@transaction.atomic
def usage_change_register(
    *,
    actor,
    account: Account,
    channel: str,
    contact_name: str,
    contact_phone: str,
    requested_usage: str,
    requested_tariff: Tariff | None = None,
    materials_received: list[str] | None = None,
    priority: str = Priority.NORMAL,
    green_channel_reason: str = "",
    summary: str = "",
) -> Case:
    """Register a change of ``account``'s usage category (and optionally a special tariff of
    that category). Materials: a business licence or an authority approval. Completion
    limit: 5 working days."""
    if not actor.has_perm("applications.intake_usagechange"):
        raise NotPermitted()
    contact_name = _required_text(contact_name, field="contact_name", label=_("联系人"))
    contact_phone = validate_phone(contact_phone)
    if requested_usage not in UsageCategory.values:
        raise InvalidInput(_("用水性质不正确。"), code="invalid_usage", field="requested_usage")
    account = _lock_account(account)
    open_change = usage_change_open_for_account(account)
    if open_change is not None:
        raise InvalidInput(
            _("账户 %(number)s 已有办理中的用水性质变更 %(case)s。")
            % {"number": account.number, "case": open_change.case.number},
            code="usage_change_in_progress",
            field="account",
            details={"case": open_change.case.number},
        )
    if requested_tariff is not None and requested_tariff.usage_category != requested_usage:
        raise InvalidInput(
            _("所选水价不属于申请的用水性质。"),
            code="tariff_category_mismatch",
            field="requested_tariff",
        )
    if requested_usage == account.usage_category and requested_tariff is None:
        raise InvalidInput(
            _("账户当前已是该用水性质，无需变更。"),
            code="usage_unchanged",
            field="requested_usage",
        )
    customer = account.customer
    priority, green_channel_reason = intake_priority(customer, priority, green_channel_reason)
    return application_register(
        actor=actor,
        kind=CHANGE,
        customer=customer,
        premise=account.premise,
        materials_received=materials_received,
        create_detail=lambda case, received: UsageChange.objects.create(
            case=case,
            account=account,
            previous_usage=account.usage_category,
            requested_usage=requested_usage,
            requested_tariff=requested_tariff,
            materials_received=received,
        ),
        milestones=(COMPLETE_MILESTONE,),
        registered_context={
            "customer_name": customer.name,
            "account_number": account.number,
            "requested_usage": str(UsageCategory(requested_usage).label),
        },
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        priority=priority,
        green_channel_reason=green_channel_reason,
        summary=summary,
    )


@transaction.atomic
def usage_change_supply_materials(
    *, actor, case: Case, materials: list[str], note: str = ""
) -> Case:
    case = _lock(case, CHANGE, "supply_materials", actor)
    detail = _change_detail(case)
    return materials_supply(actor=actor, case=case, detail=detail, materials=materials, note=note)


@transaction.atomic
def usage_change_withdraw(*, actor, case: Case, reason: str) -> Case:
    case = _lock(case, CHANGE, "withdraw", actor)
    reason = _required_text(reason, field="reason", label=_("撤回原因"))
    return application_withdraw(actor=actor, case=case, reason=reason)


def _clean_verified_usage(detail: UsageChange, verified_usage: str) -> str:
    if verified_usage not in UsageCategory.values:
        raise InvalidInput(
            _("请选择核实的用水性质。"), code="invalid_usage", field="verified_usage"
        )
    if verified_usage == detail.previous_usage and detail.requested_tariff_id is None:
        raise InvalidInput(
            _("核实的用水性质与账户现用水性质相同，无需变更；如不符合变更条件请选择“核实不通过”。"),
            code="usage_unchanged",
            field="verified_usage",
        )
    return verified_usage


@transaction.atomic
def usage_change_verify_at_desk(*, actor, case: Case, verified_usage: str, opinion: str) -> Case:
    """Desk verification (书面核实) of the actual use, from the documents: ready for approval."""
    case = _lock(case, CHANGE, "verify_at_desk", actor)
    opinion = _required_text(opinion, field="opinion", label=_("核实意见"))
    detail = _change_detail(case)
    verified_usage = _clean_verified_usage(detail, verified_usage)
    case = case_transition(
        case=case,
        action="verify_at_desk",
        actor=actor,
        note=opinion,
        data={"verified_usage": verified_usage},
    )
    detail.verification_method = VerificationMethod.DESK
    detail.verified_usage = verified_usage
    detail.verification_opinion, detail.verified_by, detail.verified_at = (
        opinion,
        actor,
        timezone.now(),
    )
    detail.save()
    return case


@transaction.atomic
def usage_change_assign_survey(*, actor, case: Case, surveyor) -> Case:
    """Send a surveyor to verify the actual use on site (现场核查)."""
    case = _lock(case, CHANGE, "assign_survey", actor)
    if (
        surveyor is None
        or not surveyor.is_active
        or not surveyor.has_perm("applications.survey_usagechange")
    ):
        raise InvalidInput(_("请选择一名核查员。"), code="not_a_surveyor", field="surveyor")
    detail = _change_detail(case)
    case = case_transition(
        case=case,
        action="assign_survey",
        actor=actor,
        assignee=surveyor,
        data={"surveyor": surveyor.get_username()},
    )
    detail.verification_method = VerificationMethod.SURVEY
    detail.surveyor = surveyor
    detail.save(update_fields=["verification_method", "surveyor"])
    return case


@transaction.atomic
def usage_change_record_survey(
    *, actor, case: Case, findings: str, verified_usage: str, opinion: str
) -> Case:
    """The surveyor's findings on site, the actual use and an opinion: ready for approval."""
    case = _lock(case, CHANGE, "record_survey", actor)
    detail = _change_detail(case)
    if detail.surveyor_id != actor.pk:
        raise NotPermitted(_("只有派定的核查员可以办理此步骤。"))
    findings = _required_text(findings, field="findings", label=_("现场核查情况"))
    opinion = _required_text(opinion, field="opinion", label=_("核实意见"))
    verified_usage = _clean_verified_usage(detail, verified_usage)
    case = case_transition(
        case=case,
        action="record_survey",
        actor=actor,
        note=opinion,
        assignee=None,
        data={"verified_usage": verified_usage},
    )
    detail.survey_findings = findings
    detail.verified_usage = verified_usage
    detail.verification_opinion, detail.verified_by, detail.verified_at = (
        opinion,
        actor,
        timezone.now(),
    )
    detail.save()
    return case


@transaction.atomic
def usage_change_verification_reject(*, actor, case: Case, opinion: str) -> Case:
    """The documents do not support the change (at the desk, before any survey)."""
    case = _lock(case, CHANGE, "verification_reject", actor)
    opinion = _required_text(opinion, field="opinion", label=_("不通过原因"))
    detail = _change_detail(case)
    detail.verification_opinion, detail.verified_by, detail.verified_at = (
        opinion,
        actor,
        timezone.now(),
    )
    detail.rejection_reason = opinion
    detail.save(
        update_fields=["verification_opinion", "verified_by", "verified_at", "rejection_reason"]
    )
    return _reject(actor=actor, case=case, action="verification_reject", reason=opinion)


def _target_tariff(detail: UsageChange) -> Tariff:
    """The tariff the account moves to: the requested special tariff or the default one of
    the verified category."""
    if detail.requested_tariff_id is not None:
        if detail.requested_tariff.usage_category != detail.verified_usage:
            raise IllegalTransition(
                _("申请执行的水价与核实的用水性质不符，请审批不通过或重新申请。"),
                code="tariff_category_mismatch",
            )
        return detail.requested_tariff
    tariff = _default_tariff(detail.verified_usage)
    if tariff is None:
        raise IllegalTransition(
            _("用水性质“%(usage)s”没有默认水价，请先在水价管理中设置。")
            % {"usage": UsageCategory(detail.verified_usage).label},
            code="no_default_tariff",
        )
    return tariff


@transaction.atomic
def usage_change_approve(*, actor, case: Case, opinion: str, effective_date: date) -> Case:
    """Approve (审批) with the effective date: today or later, never inside a billed period."""
    case = _lock(case, CHANGE, "approve_change", actor)
    opinion = _required_text(opinion, field="opinion", label=_("审批意见"))
    detail = _change_detail(case)
    if not isinstance(effective_date, date):
        raise InvalidInput(
            _("请填写变更生效日期。"), code="effective_date_required", field="effective_date"
        )
    if effective_date < _today():
        raise InvalidInput(
            _("生效日期不能早于今天。"), code="effective_date_in_past", field="effective_date"
        )
    billed_until = Bill.objects.filter(account=detail.account).aggregate(end=Max("period_end"))[
        "end"
    ]
    if billed_until is not None and effective_date <= billed_until:
        raise InvalidInput(
            _("该账户已出账至 %(day)s，生效日期须在此之后。") % {"day": billed_until},
            code="effective_date_in_billed_period",
            field="effective_date",
        )
    tariff = _target_tariff(detail)
    case = case_transition(
        case=case,
        action="approve_change",
        actor=actor,
        note=opinion,
        data={"effective_date": effective_date.isoformat(), "tariff": tariff.code},
    )
    detail.approval_opinion, detail.approved_by, detail.approved_at = opinion, actor, timezone.now()
    detail.effective_date = effective_date
    detail.save(update_fields=["approval_opinion", "approved_by", "approved_at", "effective_date"])
    notify_customer(
        case,
        "approved",
        usage=str(UsageCategory(detail.verified_usage).label),
        effective_date=effective_date.isoformat(),
    )
    return case


@transaction.atomic
def usage_change_approval_reject(*, actor, case: Case, opinion: str) -> Case:
    case = _lock(case, CHANGE, "approval_reject", actor)
    opinion = _required_text(opinion, field="opinion", label=_("不通过原因"))
    detail = _change_detail(case)
    detail.approval_opinion, detail.approved_by, detail.approved_at = opinion, actor, timezone.now()
    detail.rejection_reason = opinion
    detail.save(
        update_fields=["approval_opinion", "approved_by", "approved_at", "rejection_reason"]
    )
    return _reject(actor=actor, case=case, action="approval_reject", reason=opinion)


@transaction.atomic
def usage_change_record_read(
    *, actor, case: Case, value, read_on: date | None = None, note: str = ""
) -> Case:
    """The change read (变更抄表), dated the effective date, entered from the case page
    (``read_on``, when given, must be that date)."""
    case = _lock(case, CHANGE, "record_read", actor)
    detail = _change_detail(case)
    if read_on is not None and read_on != detail.effective_date:
        raise InvalidInput(
            _("变更读数的抄表日期须为生效日期 %(day)s。") % {"day": detail.effective_date},
            code="read_not_on_effective_date",
            field="read_on",
        )
    if _today() < detail.effective_date:
        raise InvalidInput(
            _("变更读数须在生效日期（%(day)s）当天或之后录入。") % {"day": detail.effective_date},
            code="read_before_effective_date",
            field="value",
        )
    read = meter_read_record(
        actor=actor,
        account=detail.account,
        read_on=detail.effective_date,
        value=value,
        kind=ReadKind.CHANGE,
        note=note or f"用水性质变更抄表 {case.number}",
    )
    detail.change_read = read
    detail.save(update_fields=["change_read"])
    return case_transition(
        case=case, action="record_read", actor=actor, note=note, data=_read_data(read)
    )


@transaction.atomic
def usage_change_complete(*, actor, case: Case, note: str = "") -> Case:
    """Apply the change at the change read and tell the customer the new price.

    Needs a validated change read on the effective date (``change_read_required``).
    The bill is split at that read: the old category's usage up to and including the read
    day is billed now (``bill_issue_final``, on the old tariff: the category has not changed
    yet), and the account is billed on the new tariff from the next day on
    (``account_tariff_set``), so the next cycle bill is wholly at the new price. (The bill
    engine prices a bill's whole volume prorated by days over its period; without the split
    bill the consumption on each side of the read would be divided by days, not metered.)
    """
    case = _lock(case, CHANGE, "complete", actor)
    detail = _change_detail(case)
    read = change_read_on_effective_date(case)
    if read is None or read.status != ReadStatus.VALIDATED:
        raise IllegalTransition(
            _("请先录入生效日期（%(day)s）的变更抄表读数。") % {"day": detail.effective_date}
            if read is None
            else _("变更读数待复核，复核通过后方可办结。"),
            code="change_read_required",
            details={} if read is None else {"read_status": read.status},
        )
    tariff = _target_tariff(detail)
    account = detail.account
    bill = Bill.objects.filter(closing_read=read).first()
    if bill is None:
        bill = bill_issue_final(actor=actor, account=account, closing_read=read)
    case_event_record(
        case=case,
        actor=actor,
        action="final_bill",
        data={"bill": bill.number, "amount": str(bill.amount), "read": read.pk},
    )
    new_price_from = detail.effective_date + timedelta(days=1)
    account_tariff_set(
        actor=actor, account=account, tariff=tariff, effective_from=new_price_from, case=case
    )
    customer_services.account_change_usage(
        actor=actor, account=account, usage_category=detail.verified_usage, reason=case.number
    )
    with translation.override("zh-hans"):  # the customer's language, not the clerk's
        summary = price_summary_text(
            tariff_price_summary(
                tariff_version_on(tariff, new_price_from), household_size=account.household_size
            )
        )
    now = timezone.now()
    detail.change_read = read
    detail.split_bill = bill
    detail.applied_tariff = tariff
    detail.price_summary = summary
    detail.completed_at = now
    detail.save(
        update_fields=[
            "change_read",
            "split_bill",
            "applied_tariff",
            "price_summary",
            "completed_at",
        ]
    )
    case = case_transition(
        case=case,
        action="complete",
        actor=actor,
        note=note,
        at=now,
        data={
            "account": account.number,
            "usage": detail.verified_usage,
            "tariff": tariff.code,
            "effective_date": detail.effective_date.isoformat(),
            "bill": bill.number,
        },
    )
    sla.clock_stop(case=case, milestone=COMPLETE_MILESTONE, at=now)
    notify_customer(
        case,
        "completed",
        account_number=account.number,
        usage=str(UsageCategory(detail.verified_usage).label),
        effective_date=detail.effective_date.isoformat(),
        price_summary=summary,
        payment_methods=_payment_methods(),
    )
    return case
