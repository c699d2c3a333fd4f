"""New connection (新装开户): one service per step, from intake to water on.

Each service locks the case, checks the move against the transition table, writes the
detail, records the event, moves the SLA clocks and queues the customer notice — all in one
transaction. Notices are delivered after commit by the outbox.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
    CollectiveDecision,
    CollectiveReview,
    FeeItem,
    FeeLine,
    NewConnection,
    NewConnectionPolicy,
    NewConnectionStatus,
)
from waterdesk.cases.models import Case, Priority
from waterdesk.cases.services import (
    case_check_action,
    case_lock,
    case_priority,
    case_transition,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.money import money_validate, to_money
from waterdesk.core.timeutil import local
from waterdesk.customers import services as customer_services
from waterdesk.customers.models import Customer, Premise, Route, UsageCategory
from waterdesk.customers.validation import validate_phone
from waterdesk.sla import services as sla

# Texts that reach the customer (SMS, e-mail, the case record) are in the customer's
# language, Chinese, whatever language the clerk's screen is in: they are not translated.

CONTACT_MILESTONE = "contact_customer"
FEE_QUANTITY_LIMIT = Decimal(10) ** 8  # FeeLine.quantity: 10 digits, 2 of them decimals


def _fmt(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _detail(case: Case) -> NewConnection:
    return NewConnection.objects.select_for_update().get(case=case)


# --- intake ---------------------------------------------------------------------------


@transaction.atomic
def new_connection_register(
    *,
    actor,
    channel: str,
    contact_name: str,
    contact_phone: str,
    customer: Customer | None = None,
    customer_data: dict | None = None,
    premise: Premise | None = None,
    premise_address: str = "",
    zone=None,
    district: str = "",
    street: str = "",
    requested_usage: str = UsageCategory.RESIDENTIAL,
    requested_size_dn: int = 20,
    household_size: int = 3,
    is_major: bool = False,
    materials_received: list[str] | None = None,
    priority: str = Priority.NORMAL,
    green_channel_reason: str = "",
    summary: str = "",
    follows: Case | None = None,
) -> Case:
    """Register an application (受理登记). Missing materials produce one notice listing all of
    them and pause the clocks until the customer brings them (R-B2, R-B3)."""
    if not actor.has_perm("applications.intake_newconnection"):
        raise NotPermitted()
    contact_name = required_text(contact_name, field="contact_name", label=_("联系人"))
    contact_phone = validate_phone(contact_phone)
    if requested_usage not in UsageCategory.values:
        raise InvalidInput(_("用水性质不正确。"), code="invalid_usage", field="requested_usage")
    if not 15 <= int(requested_size_dn) <= 600:
        raise InvalidInput(
            _("口径应在 DN15 至 DN600 之间。"), code="invalid_size", field="requested_size_dn"
        )
    if customer is None:
        if not customer_data:
            raise InvalidInput(_("请选择或登记客户。"), code="required", field="customer")
        customer = customer_services.customer_create(actor=actor, **customer_data)
    if premise is None:
        address = required_text(premise_address, field="premise_address", label=_("用水地址"))
        if zone is None:
            raise InvalidInput(_("请选择供水片区。"), code="required", field="zone")
        premise = customer_services.premise_get_or_create(
            actor=actor, address=address, zone=zone, district=district, street=street
        )
    priority, green_channel_reason = case_priority(customer, priority, green_channel_reason)
    return application_register(
        actor=actor,
        kind=ApplicationKind.NEW_CONNECTION,
        customer=customer,
        premise=premise,
        materials_received=materials_received,
        create_detail=lambda case, received: NewConnection.objects.create(
            case=case,
            requested_usage=requested_usage,
            requested_size_dn=requested_size_dn,
            household_size=household_size,
            is_major=is_major,
            materials_received=received,
        ),
        milestones=(CONTACT_MILESTONE, COMPLETE_MILESTONE),
        registered_context={"customer_name": customer.name},
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        priority=priority,
        green_channel_reason=green_channel_reason,
        summary=summary,
        follows=follows,
    )


@transaction.atomic
def new_connection_supply_materials(
    *, actor, case: Case, materials: list[str], note: str = ""
) -> Case:
    """Record materials the customer brought; when the checklist is complete the case is
    registered and its clocks run again."""
    case = case_lock(case)
    if case.status != NewConnectionStatus.MATERIALS_PENDING:
        raise IllegalTransition()
    if not actor.has_perm("applications.intake_newconnection"):
        raise NotPermitted()
    return materials_supply(
        actor=actor, case=case, detail=_detail(case), materials=materials, note=note
    )


@transaction.atomic
def new_connection_withdraw(*, actor, case: Case, reason: str) -> Case:
    """Withdraw an application at the customer's request."""
    reason = required_text(reason, field="reason", label=_("撤回原因"))
    return application_withdraw(actor=actor, case=case_lock(case), reason=reason)


# --- survey ---------------------------------------------------------------------------


@transaction.atomic
def new_connection_assign_survey(*, actor, case: Case, surveyor) -> Case:
    case = case_lock(case)
    if (
        surveyor is None
        or not surveyor.is_active
        or not surveyor.has_perm("applications.survey_newconnection")
    ):
        raise InvalidInput(_("请选择一名勘查员。"), code="not_a_surveyor", field="surveyor")
    detail = _detail(case)
    case = case_transition(
        case=case,
        action="assign_survey",
        actor=actor,
        assignee=surveyor,
        data={"surveyor": surveyor.get_username()},
    )
    detail.surveyor = surveyor
    detail.save(update_fields=["surveyor"])
    return case


def _require_surveyor(actor, detail: NewConnection) -> None:
    if detail.surveyor_id != actor.pk:
        raise NotPermitted(_("只有派定的勘查员可以办理此步骤。"))


@transaction.atomic
def new_connection_book_survey(
    *, actor, case: Case, booked_for: datetime, preparation: str = ""
) -> Case:
    """The surveyor has contacted the customer and booked a visit (meets "contact customer")."""
    case = case_lock(case)
    detail = _detail(case)
    _check_actor_may(case=case, actor=actor, action="book_survey")
    _require_surveyor(actor, detail)
    if booked_for is None or booked_for < timezone.now() - timedelta(minutes=5):
        raise InvalidInput(
            _("预约时间不能早于当前时间。"), code="booking_in_past", field="booked_for"
        )
    case = case_transition(
        case=case, action="book_survey", actor=actor, data={"booked_for": booked_for.isoformat()}
    )
    detail.survey_booked_for = booked_for
    detail.survey_preparation = preparation.strip()
    detail.save(update_fields=["survey_booked_for", "survey_preparation"])
    sla.clock_stop(case=case, milestone=CONTACT_MILESTONE)
    notify_customer(
        case,
        "survey_booked",
        survey_time=_fmt(booked_for),
        surveyor_name=actor.get_full_name() or actor.get_username(),
        preparation=detail.survey_preparation or "身份证件及房产证明原件",
    )
    return case


def _check_actor_may(*, case: Case, actor, action: str) -> None:
    """Refuse early, before validating a form, when the move or the role is wrong."""
    case_check_action(case=case, action=action, actor=actor)


@transaction.atomic
def new_connection_submit_survey(
    *,
    actor,
    case: Case,
    installation_position: str,
    surveyed_usage: str,
    site_conditions: str,
    facilities: str,
    notes_explained: str,
    estimated_amount: Decimal | str = "0",
) -> Case:
    """The on-site survey report (勘查报告), returned to intake for review."""
    case = case_lock(case)
    detail = _detail(case)
    _check_actor_may(case=case, actor=actor, action="submit_survey")
    _require_surveyor(actor, detail)
    detail.installation_position = required_text(
        installation_position, field="installation_position", label=_("安装位置")
    )
    if surveyed_usage not in UsageCategory.values:
        raise InvalidInput(_("请选择用水性质。"), code="invalid_usage", field="surveyed_usage")
    detail.surveyed_usage = surveyed_usage
    detail.site_conditions = required_text(
        site_conditions, field="site_conditions", label=_("现场环境")
    )
    detail.facilities = required_text(facilities, field="facilities", label=_("设施状况"))
    detail.notes_explained = required_text(
        notes_explained, field="notes_explained", label=_("已向客户说明的注意事项")
    )
    detail.estimated_amount = _money(estimated_amount, field="estimated_amount")
    detail.surveyed_at = timezone.now()
    case = case_transition(
        case=case,
        action="submit_survey",
        actor=actor,
        assignee=None,
        data={
            "installation_position": detail.installation_position,
            "surveyed_usage": surveyed_usage,
        },
    )
    detail.save()
    return case


def _money(value, *, field: str) -> Decimal:
    """A non-negative amount within ``WATERDESK_MONEY_MAX_AMOUNT``; empty means zero."""
    return money_validate("0" if value is None or str(value).strip() == "" else value, field=field)


# --- review and approval --------------------------------------------------------------


@transaction.atomic
def new_connection_review_pass(*, actor, case: Case, opinion: str) -> Case:
    opinion = required_text(opinion, field="opinion", label=_("初审意见"))
    case = case_lock(case)
    detail = _detail(case)
    case = case_transition(case=case, action="review_pass", actor=actor, note=opinion)
    detail.first_review_opinion, detail.reviewed_by, detail.reviewed_at = (
        opinion,
        actor,
        timezone.now(),
    )
    detail.save(update_fields=["first_review_opinion", "reviewed_by", "reviewed_at"])
    return case


@transaction.atomic
def new_connection_review_reject(*, actor, case: Case, opinion: str) -> Case:
    opinion = required_text(opinion, field="opinion", label=_("不通过原因"))
    case = case_lock(case)
    detail = _detail(case)
    case = case_transition(
        case=case, action="review_reject", actor=actor, note=opinion, assignee=None
    )
    detail.first_review_opinion, detail.reviewed_by, detail.reviewed_at = (
        opinion,
        actor,
        timezone.now(),
    )
    detail.rejection_reason = opinion
    detail.save(
        update_fields=["first_review_opinion", "reviewed_by", "reviewed_at", "rejection_reason"]
    )
    sla.clocks_cancel(case=case)
    notify_customer(case, "rejected", reason=opinion)
    return case


@transaction.atomic
def new_connection_collective_review_record(
    *, actor, case: Case, meeting_date: date, participants: str, decision: str, minutes: str = ""
) -> Case:
    """A meeting decision (集体审议) for a major or high-value application (R-B8)."""
    case = case_lock(case)
    detail = _detail(case)
    _check_actor_may(case=case, actor=actor, action="record_collective_review")
    if not detail.needs_collective_review(
        NewConnectionPolicy.current().collective_review_threshold
    ):
        raise IllegalTransition(_("该申请不需要集体审议。"), code="collective_review_not_required")
    participants = required_text(participants, field="participants", label=_("参会人员"))
    if decision not in CollectiveDecision.values:
        raise InvalidInput(_("请选择审议结论。"), code="invalid_decision", field="decision")
    if meeting_date is None or meeting_date > local(timezone.now()).date():
        raise InvalidInput(
            _("会议日期不能晚于今天。"), code="invalid_meeting_date", field="meeting_date"
        )
    case = case_transition(
        case=case,
        action="record_collective_review",
        actor=actor,
        note=minutes,
        data={"decision": decision, "meeting_date": meeting_date.isoformat()},
    )
    CollectiveReview.objects.create(
        case=case,
        meeting_date=meeting_date,
        participants=participants,
        decision=decision,
        minutes=minutes,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    return case


@transaction.atomic
def new_connection_approve(*, actor, case: Case, opinion: str) -> Case:
    opinion = required_text(opinion, field="opinion", label=_("审批意见"))
    case = case_lock(case)
    detail = _detail(case)
    _check_actor_may(case=case, actor=actor, action="approve")
    review = CollectiveReview.objects.filter(case=case).first()
    threshold = NewConnectionPolicy.current().collective_review_threshold
    if detail.needs_collective_review(threshold) and review is None:
        raise IllegalTransition(
            _("重大或金额较大的申请须先经集体审议。"), code="collective_review_required"
        )
    if review is not None and review.decision == CollectiveDecision.REJECT:
        raise IllegalTransition(
            _("集体审议未同意，不能审批通过。"), code="collective_review_rejected"
        )
    case = case_transition(case=case, action="approve", actor=actor, note=opinion)
    detail.approval_opinion, detail.approved_by, detail.approved_at = opinion, actor, timezone.now()
    detail.save(update_fields=["approval_opinion", "approved_by", "approved_at"])
    notify_customer(case, "approved")
    return case


@transaction.atomic
def new_connection_approval_reject(*, actor, case: Case, opinion: str) -> Case:
    opinion = required_text(opinion, field="opinion", label=_("不通过原因"))
    case = case_lock(case)
    detail = _detail(case)
    case = case_transition(
        case=case, action="approval_reject", actor=actor, note=opinion, assignee=None
    )
    detail.approval_opinion, detail.approved_by, detail.approved_at = opinion, actor, timezone.now()
    detail.rejection_reason = opinion
    detail.save(
        update_fields=["approval_opinion", "approved_by", "approved_at", "rejection_reason"]
    )
    sla.clocks_cancel(case=case)
    notify_customer(case, "rejected", reason=opinion)
    return case


# --- fees and payment -----------------------------------------------------------------


@transaction.atomic
def new_connection_assess_fee(*, actor, case: Case, lines: list[tuple[str, Decimal | str]]) -> Case:
    """Calculate the installation charges (费用核算); rounding to the fen once per line."""
    case = case_lock(case)
    detail = _detail(case)
    _check_actor_may(case=case, actor=actor, action="assess_fee")
    if not lines:
        raise InvalidInput(_("请至少填写一项费用。"), code="no_fee_lines", field="lines")
    items = {item.code: item for item in FeeItem.objects.filter(is_active=True)}
    computed = []
    for code, quantity in lines:
        item = items.get(code)
        if item is None:
            raise InvalidInput(
                _("收费项目不存在或已停用：%(code)s") % {"code": code},
                code="unknown_fee_item",
                field="lines",
            )
        try:
            quantity = Decimal(str(quantity))
        except InvalidOperation as exc:
            raise InvalidInput(
                _("数量格式不正确。"), code="invalid_quantity", field="lines"
            ) from exc
        if not quantity.is_finite() or quantity <= 0 or quantity >= FEE_QUANTITY_LIMIT:
            raise InvalidInput(_("数量必须大于零。"), code="invalid_quantity", field="lines")
        amount = money_validate(to_money(quantity * item.unit_price), field="lines")
        computed.append((item, quantity, amount))
    # The customer pays the total at once: it is one amount, within the same bound.
    total = money_validate(
        sum((amount for _item, _qty, amount in computed), Decimal("0.00")), field="lines"
    )
    policy = NewConnectionPolicy.current()
    due = local(timezone.now()).date() + timedelta(days=policy.payment_due_days)
    case = case_transition(
        case=case,
        action="assess_fee",
        actor=actor,
        data={"total": str(total), "lines": [[i.code, str(q)] for i, q, _a in computed]},
    )
    FeeLine.objects.bulk_create(
        [
            FeeLine(case=case, item=item, quantity=qty, unit_price=item.unit_price, amount=amount)
            for item, qty, amount in computed
        ]
    )
    detail.fee_total, detail.fee_due_date = total, due
    detail.save(update_fields=["fee_total", "fee_due_date"])
    notify_customer(
        case,
        "fee_assessed",
        amount=f"{total:.2f}",
        due_date=due.isoformat(),
        payment_methods=policy.payment_methods,
    )
    return case


@transaction.atomic
def new_connection_record_payment(
    *, actor, case: Case, amount: Decimal | str, reference: str
) -> Case:
    """Record the customer's payment once: the receipt/transaction reference is unique, so a
    repeated submission of the same payment changes nothing."""
    reference = required_text(reference, field="reference", label=_("收据/流水号"))
    case = case_lock(case)
    detail = _detail(case)
    if detail.payment_reference == reference:
        return case  # the same payment again: already recorded
    _check_actor_may(case=case, actor=actor, action="record_payment")
    amount = _money(amount, field="amount")
    if amount != detail.fee_total:
        raise InvalidInput(
            _("缴费金额 %(paid)s 元与应缴金额 %(due)s 元不符。")
            % {"paid": amount, "due": detail.fee_total},
            code="payment_amount_mismatch",
            field="amount",
        )
    if NewConnection.objects.filter(payment_reference=reference).exists():
        raise InvalidInput(
            _("该收据/流水号已用于其他申请。"), code="duplicate_reference", field="reference"
        )
    case = case_transition(
        case=case,
        action="record_payment",
        actor=actor,
        data={"amount": str(amount), "reference": reference},
    )
    detail.paid_amount, detail.payment_reference, detail.paid_at = amount, reference, timezone.now()
    detail.save(update_fields=["paid_amount", "payment_reference", "paid_at"])
    notify_customer(case, "paid", amount=f"{amount:.2f}", receipt_number=reference)
    return case


# --- installation, account, water on --------------------------------------------------


@transaction.atomic
def new_connection_install_meter(
    *, actor, case: Case, meter_serial: str, size_dn: int, initial_reading: Decimal | str
) -> Case:
    case = case_lock(case)
    detail = _detail(case)
    _check_actor_may(case=case, actor=actor, action="install_meter")
    meter = customer_services.meter_install(
        actor=actor,
        meter_serial=meter_serial,
        size_dn=size_dn,
        premise=case.premise,
        initial_reading=initial_reading,
    )
    case = case_transition(
        case=case,
        action="install_meter",
        actor=actor,
        data={"meter": meter.serial, "initial_reading": str(meter.initial_reading)},
    )
    detail.meter = meter
    detail.save(update_fields=["meter"])
    notify_customer(
        case,
        "meter_installed",
        meter_serial=meter.serial,
        initial_reading=str(meter.initial_reading),
    )
    return case


@transaction.atomic
def new_connection_open_account(*, actor, case: Case, route: Route | None = None) -> Case:
    """Open the account, on ``route`` (the clerk's choice) or its premise's zone's route:
    an account on no route is never read, so never billed."""
    case = case_lock(case)
    detail = _detail(case)
    _check_actor_may(case=case, actor=actor, action="open_account")
    account = customer_services.account_open(
        actor=actor,
        customer=case.customer,
        premise=case.premise,
        usage_category=detail.surveyed_usage or detail.requested_usage,
        household_size=detail.household_size,
        route=route,
    )
    customer_services.meter_attach_to_account(actor=actor, meter=detail.meter, account=account)
    case = case_transition(
        case=case,
        action="open_account",
        actor=actor,
        data={"account": account.number, "route": account.route.code if account.route else ""},
    )
    detail.account = account
    detail.save(update_fields=["account"])
    return case


@transaction.atomic
def new_connection_turn_water_on(*, actor, case: Case, note: str = "") -> Case:
    case = case_lock(case)
    detail = _detail(case)
    now = timezone.now()
    case = case_transition(case=case, action="turn_water_on", actor=actor, note=note, at=now)
    detail.water_on_at = now
    detail.save(update_fields=["water_on_at"])
    sla.clock_stop(case=case, milestone=COMPLETE_MILESTONE, at=now)
    notify_customer(case, "water_on", account_number=detail.account.number)
    return case
