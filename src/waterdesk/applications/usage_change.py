"""Usage change (用水性质变更, R-B6): one service per step, on the Case backbone.

Effective date: the approver sets it (today or later, after the last billed day). The change
read is taken on that date and splits the bill there: the usage up to and including the read
is billed at the old price (``bill_issue_final``), the account is billed on the new tariff
from the next day (``AccountTariff``), so the next cycle bill is wholly at the new price. The
bill engine prices a bill's volume prorated by days over its period; the split bill makes the
metered consumption on each side of the read count, not a share by days.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

# Texts that reach the customer (SMS, e-mail, the case record) are Chinese whatever the
# clerk's screen language: they are not translated.
from waterdesk.applications.account_changes import (
    case_read_record,
    lock_account,
    lock_case,
    payment_methods,
    price_summary_text,
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
    UsageChange,
    VerificationMethod,
)
from waterdesk.applications.selectors import (
    change_read_next_step,
    change_read_on_effective_date,
    usage_change_open_for_account,
)
from waterdesk.billing.models import (
    ReadKind,
    ReadStatus,
    Tariff,
)
from waterdesk.billing.selectors.bills import account_billed_until
from waterdesk.billing.selectors.tariffs import tariff_price_summary, tariff_version_on
from waterdesk.billing.services.tariffs import account_tariff_set
from waterdesk.cases.models import Case, Priority
from waterdesk.cases.services import (
    case_priority,
    case_transition,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.customers import services as customer_services
from waterdesk.customers.models import Account, UsageCategory
from waterdesk.customers.validation import validate_phone
from waterdesk.sla import services as sla

# Texts that reach the customer (SMS, e-mail, the case record) are Chinese whatever the
# clerk's screen language: they are not translated.

CHANGE = ApplicationKind.USAGE_CHANGE


def _change_detail(case: Case) -> UsageChange:
    return UsageChange.objects.select_for_update().get(case=case)


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
    follows: Case | None = None,
) -> Case:
    """Register a change of ``account``'s usage category (and optionally a special tariff of
    that category). Materials: a business licence or an authority approval. Completion
    limit: 5 working days."""
    if not actor.has_perm("applications.intake_usagechange"):
        raise NotPermitted()
    contact_name = required_text(contact_name, field="contact_name", label=_("联系人"))
    contact_phone = validate_phone(contact_phone)
    if requested_usage not in UsageCategory.values:
        raise InvalidInput(_("用水性质不正确。"), code="invalid_usage", field="requested_usage")
    account = lock_account(account)
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
    priority, green_channel_reason = case_priority(customer, priority, green_channel_reason)
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
        follows=follows,
    )


@transaction.atomic
def usage_change_supply_materials(
    *, actor, case: Case, materials: list[str], note: str = ""
) -> Case:
    case = lock_case(case, CHANGE, "supply_materials", actor)
    detail = _change_detail(case)
    return materials_supply(actor=actor, case=case, detail=detail, materials=materials, note=note)


@transaction.atomic
def usage_change_withdraw(*, actor, case: Case, reason: str) -> Case:
    case = lock_case(case, CHANGE, "withdraw", actor)
    reason = required_text(reason, field="reason", label=_("撤回原因"))
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
    case = lock_case(case, CHANGE, "verify_at_desk", actor)
    opinion = required_text(opinion, field="opinion", label=_("核实意见"))
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
    case = lock_case(case, CHANGE, "assign_survey", actor)
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
    case = lock_case(case, CHANGE, "record_survey", actor)
    detail = _change_detail(case)
    if detail.surveyor_id != actor.pk:
        raise NotPermitted(_("只有派定的核查员可以办理此步骤。"))
    findings = required_text(findings, field="findings", label=_("现场核查情况"))
    opinion = required_text(opinion, field="opinion", label=_("核实意见"))
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
    case = lock_case(case, CHANGE, "verification_reject", actor)
    opinion = required_text(opinion, field="opinion", label=_("不通过原因"))
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
    return reject(actor=actor, case=case, action="verification_reject", reason=opinion)


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
    case = lock_case(case, CHANGE, "approve_change", actor)
    opinion = required_text(opinion, field="opinion", label=_("审批意见"))
    detail = _change_detail(case)
    if not isinstance(effective_date, date):
        raise InvalidInput(
            _("请填写变更生效日期。"), code="effective_date_required", field="effective_date"
        )
    if effective_date < today():
        raise InvalidInput(
            _("生效日期不能早于今天。"), code="effective_date_in_past", field="effective_date"
        )
    billed_until = account_billed_until(detail.account)
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
    case = lock_case(case, CHANGE, "approval_reject", actor)
    opinion = required_text(opinion, field="opinion", label=_("不通过原因"))
    detail = _change_detail(case)
    detail.approval_opinion, detail.approved_by, detail.approved_at = opinion, actor, timezone.now()
    detail.rejection_reason = opinion
    detail.save(
        update_fields=["approval_opinion", "approved_by", "approved_at", "rejection_reason"]
    )
    return reject(actor=actor, case=case, action="approval_reject", reason=opinion)


@transaction.atomic
def usage_change_record_read(
    *, actor, case: Case, value, read_on: date | None = None, note: str = ""
) -> Case:
    """The change read (变更抄表), dated the effective date, entered from the case page
    (``read_on``, when given, must be that date). Entered again, it corrects the first one
    (``note`` is the reason)."""
    case = lock_case(case, CHANGE, "record_read", actor)
    detail = _change_detail(case)
    if read_on is not None and read_on != detail.effective_date:
        raise InvalidInput(
            _("变更读数的抄表日期须为生效日期 %(day)s。") % {"day": detail.effective_date},
            code="read_not_on_effective_date",
            field="read_on",
        )
    if today() < detail.effective_date:
        raise InvalidInput(
            _("变更读数须在生效日期（%(day)s）当天或之后录入。") % {"day": detail.effective_date},
            code="read_before_effective_date",
            field="value",
        )
    read, corrected = case_read_record(
        actor=actor,
        account=detail.account,
        read_on=detail.effective_date,
        value=value,
        kind=ReadKind.CHANGE,
        note=note,
        default_note=f"用水性质变更抄表 {case.number}",
        earlier=change_read_on_effective_date(case),
    )
    detail.change_read = read
    detail.save(update_fields=["change_read"])
    return case_transition(
        case=case,
        action="record_read",
        actor=actor,
        note=note,
        data=read_data(read, corrected_from=corrected),
    )


@transaction.atomic
def usage_change_complete(*, actor, case: Case, note: str = "") -> Case:
    """Apply the change at the change read and tell the customer the new price.

    Needs a validated change read on the effective date (``change_read_required``, saying
    what to do with a read in review) and nothing billed after that date at the old price
    (``change_period_billed``: withdraw and apply again with a later date).
    The bill is split at that read: the old category's usage up to and including the read
    day is billed now (``bill_issue_final``, on the old tariff: the category has not changed
    yet), and the account is billed on the new tariff from the next day on
    (``account_tariff_set``), so the next cycle bill is wholly at the new price. (The bill
    engine prices a bill's whole volume prorated by days over its period; without the split
    bill the consumption on each side of the read would be divided by days, not metered.)
    """
    case = lock_case(case, CHANGE, "complete", actor)
    detail = _change_detail(case)
    read = change_read_on_effective_date(case)
    if read is None or read.status != ReadStatus.VALIDATED:
        raise IllegalTransition(
            change_read_next_step(case, read),
            code="change_read_required",
            details={} if read is None else {"read_status": read.status},
        )
    tariff = _target_tariff(detail)
    account = detail.account
    billed_until = account_billed_until(account)
    if billed_until is not None and billed_until > detail.effective_date:
        # A bill run billed days after the effective date at the old price.
        raise IllegalTransition(
            _(
                "该账户已按原用水性质出账至 %(day)s，晚于生效日期 %(effective)s：请撤回本申请，"
                "重新申请并选择 %(day)s 之后的生效日期。"
            )
            % {"day": billed_until, "effective": detail.effective_date},
            code="change_period_billed",
            details={"billed_until": billed_until.isoformat()},
        )
    bill = settlement_bill(actor=actor, case=case, account=account, read=read)
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
        payment_methods=payment_methods(),
    )
    return case
