"""The registration of this app's three case kinds — new connection (新装开户), ownership
transfer (水表过户) and usage change (用水性质变更) — with the case backbone: for each
action its service, page form and API input (and a guard where the service checks more
than the role), the case page's detail, how the kind's events read on the timeline, its
receipt, its notices and its SLA milestones. Imported from ``AppConfig.ready()``."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.applications import forms, transfer, usage_change
from waterdesk.applications import new_connection as nc
from waterdesk.applications import serializers as s
from waterdesk.applications.access import receipt_check_access, receipt_may_print
from waterdesk.applications.documents import receipt_pdf
from waterdesk.applications.intake import COMPLETE_MILESTONE
from waterdesk.applications.models import (
    ApplicationKind,
    CollectiveDecision,
    CollectiveReview,
    NewConnectionStatus,
    OwnershipTransferStatus,
    TransferPolicy,
    UsageChangeStatus,
)
from waterdesk.applications.new_connection import CONTACT_MILESTONE
from waterdesk.applications.selectors import (
    change_checklist,
    change_materials_missing,
    change_materials_received,
    change_read_next_step,
    change_read_on_effective_date,
    materials_required,
    new_connection_materials_missing,
    new_connection_materials_received,
    new_connection_needs_collective_review,
    read_review_next_step,
    transfer_read_latest,
    transfer_read_next_step,
)
from waterdesk.applications.workflow import NEW_CONNECTION, OWNERSHIP_TRANSFER, USAGE_CHANGE
from waterdesk.billing.models import ReadStatus
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.cases.kinds import (
    ActionSpec,
    CaseDocument,
    EventView,
    IntakeSpec,
    KindSpec,
    register,
)
from waterdesk.core.api.serializers import WithdrawSerializer
from waterdesk.core.timeutil import local_text
from waterdesk.customers.models import UsageCategory

PAGE_URLS = "waterdesk.applications.urls"
SECONDARY = "secondary"  # the negative moves: withdraw, reject

# --- guards: the checks the services make beyond the role ------------------------------


def _assigned_surveyor(detail_field: str):
    def guard(case, user) -> bool:
        return getattr(case, detail_field).surveyor_id == user.pk

    return guard


def _collective_review(case) -> CollectiveReview | None:
    return CollectiveReview.objects.filter(case=case).first()


def _needs_meeting(case, user) -> bool:
    """A meeting is recorded only for an application that needs one."""
    return new_connection_needs_collective_review(case)


def _may_approve(case, user) -> bool:
    """A major or costly application is approved only after a meeting that did not reject."""
    if not new_connection_needs_collective_review(case):
        return True
    meeting = _collective_review(case)
    return meeting is not None and meeting.decision != CollectiveDecision.REJECT


# --- the case page ----------------------------------------------------------------------


def _notices(case) -> list:
    return list(case.material_notices.select_related("issued_by").order_by("issued_at"))


def _new_connection_context(case) -> dict:
    return {
        "detail": case.new_connection,
        "materials_received": new_connection_materials_received(case),
        "materials_missing": new_connection_materials_missing(case) if case.customer else [],
        "notices": _notices(case),
        "collective_review": CollectiveReview.objects.filter(case=case)
        .select_related("recorded_by")
        .first(),
        "fee_lines": list(case.fee_lines.select_related("item")),
        "needs_collective_review": new_connection_needs_collective_review(case),
    }


def _change_materials_context(case) -> dict:
    return {
        "materials_received": change_materials_received(case),
        "materials_missing": change_materials_missing(case),
        "notices": _notices(case),
    }


def _ownership_transfer_context(case) -> dict:
    detail = case.ownership_transfer
    is_open = case.is_open
    read = transfer_read_latest(case) if is_open else detail.transfer_read
    return {
        "detail": detail,
        **_change_materials_context(case),
        "transfer_read": read,
        "read_next_step": transfer_read_next_step(case, read)
        if case.status == OwnershipTransferStatus.VERIFIED
        else "",
        "balance": account_balance(detail.account) if is_open else None,
        "awaiting_settlement": case.status == OwnershipTransferStatus.AWAITING_SETTLEMENT,
        "policy": TransferPolicy.current(),
    }


def _usage_change_context(case) -> dict:
    detail = case.usage_change
    read = change_read_on_effective_date(case) if case.is_open else detail.change_read
    return {
        "detail": detail,
        **_change_materials_context(case),
        "change_read": read,
        "read_next_step": change_read_next_step(case, read)
        if case.status == UsageChangeStatus.APPROVED
        else "",
    }


def _read_outcome(latest_read):
    """After a case's read was entered: what to do when it went to review."""

    def outcome(case) -> str:
        read = latest_read(case)
        if read is None or read.status != ReadStatus.NEEDS_REVIEW:
            return ""
        return read_review_next_step(read)

    return outcome


def _new_connection_materials(case) -> list[tuple[str, str]]:
    if case.customer is None:
        return []
    required = materials_required(case_kind=case.kind, customer_kind=case.customer.kind)
    return [(m.code, m.name) for m in required]


def _change_materials(case) -> list[tuple[str, str]]:
    if case.customer is None:
        return []
    return [(m.code, m.name) for item in change_checklist(case) for m in item.materials]


# --- the timeline -----------------------------------------------------------------------


def _usage_label(value: str) -> str:
    return str(UsageCategory(value).label) if value in UsageCategory.values else value


def _material_notice(data: dict) -> str:
    return gettext("缺少材料 %(count)s 项，补齐期限 %(deadline)s") % {
        "count": len(data.get("missing", [])),
        "deadline": data.get("deadline", ""),
    }


def _surveyor(data: dict) -> str:
    return gettext("勘查员：%(name)s") % {"name": data["surveyor"]} if data.get("surveyor") else ""


def _booked(data: dict) -> str:
    if not data.get("booked_for"):
        return ""
    return gettext("预约时间：%(when)s") % {"when": local_text(data["booked_for"])}


def _meeting(data: dict) -> str:
    decision = data.get("decision")
    if not decision:
        return ""
    label = (
        CollectiveDecision(decision).label if decision in CollectiveDecision.values else decision
    )
    return gettext("审议结论：%(decision)s（%(date)s）") % {
        "decision": label,
        "date": data.get("meeting_date", ""),
    }


def _fee(data: dict) -> str:
    return gettext("应缴 %(total)s 元") % {"total": data["total"]} if "total" in data else ""


def _payment(data: dict) -> str:
    if "amount" not in data:
        return ""
    return gettext("实缴 %(amount)s 元，收据/流水号 %(reference)s") % {
        "amount": data["amount"],
        "reference": data.get("reference", ""),
    }


def _meter(data: dict) -> str:
    if not data.get("meter"):
        return ""
    return gettext("表号 %(meter)s，初始读数 %(reading)s") % {
        "meter": data["meter"],
        "reading": data.get("initial_reading", ""),
    }


def _account(data: dict) -> str:
    if not data.get("account"):
        return ""
    if "route" not in data:  # opened before accounts were put on routes
        return gettext("户号 %(account)s") % {"account": data["account"]}
    if not data["route"]:
        return gettext("户号 %(account)s，尚未编入抄表路线") % {"account": data["account"]}
    return gettext("户号 %(account)s，抄表路线 %(route)s") % data


def _read(data: dict) -> str:
    if "value" not in data:
        return ""
    status = data.get("status", "")
    return gettext("读数 %(value)s（%(day)s），用水量 %(volume)s m³，%(status)s") % {
        "value": data["value"],
        "day": data.get("read_on", ""),
        "volume": data.get("consumption") or "—",
        "status": dict(ReadStatus.choices).get(status, status),
    }


def _final_bill(data: dict) -> str:
    if not data.get("bill"):
        return ""
    return gettext("账单 %(bill)s，金额 %(amount)s 元") % {
        "bill": data["bill"],
        "amount": data.get("amount", ""),
    }


def _settlement(data: dict) -> str:
    if "balance" not in data:
        return ""
    return gettext("原户主欠费 %(balance)s 元") % {"balance": data["balance"]}


def _verified_usage(data: dict) -> str:
    if not data.get("verified_usage"):
        return ""
    return gettext("核实用水性质：%(usage)s") % {"usage": _usage_label(data["verified_usage"])}


def _effective(data: dict) -> str:
    if not data.get("effective_date"):
        return ""
    return gettext("生效日期 %(day)s") % {"day": data["effective_date"]}


def _transfer_done(data: dict) -> str:
    if not data.get("to"):
        return ""
    return gettext("户号 %(account)s：%(old)s → %(new)s") % {
        "account": data.get("account", ""),
        "old": data.get("from", ""),
        "new": data["to"],
    }


def _change_done(data: dict) -> str:
    if not data.get("usage"):
        return ""
    return gettext("户号 %(account)s 变更为%(usage)s") % {
        "account": data.get("account", ""),
        "usage": _usage_label(data["usage"]),
    }


# Events every application kind records besides its workflow's moves.
_MATERIAL_EVENTS = {
    "material_notice": EventView(_("一次性告知"), _material_notice),
    "materials_partial": EventView(_("部分补交材料")),
}

# Status badges of the pages (anything else open is "badge-open").
_STATUS_CLASSES = {
    "materials_pending": "badge-waiting",
    "completed": "badge-done",
    "rejected": "badge-rejected",
    "withdrawn": "badge-closed",
}

# The SLA milestones each kind starts (their policies are seeded by migrations).
_COMPLETE = {COMPLETE_MILESTONE: _("全程办结")}
_NEW_CONNECTION_MILESTONES = {CONTACT_MILESTONE: _("联系客户"), **_COMPLETE}

_RECEIPT = {
    "receipt": CaseDocument(
        label=_("打印受理回执"),
        render=receipt_pdf,
        may_print=receipt_may_print,
        check_access=receipt_check_access,
    )
}

# The error codes of the application services (API documentation).
ERROR_CODES = (
    ("unknown_material", 400, "A material code is not on the checklist."),
    ("transfer_in_progress", 400, "The account has an ownership transfer in progress."),
    ("same_owner", 400, "The new owner is the account's owner already."),
    ("usage_change_in_progress", 400, "The account has a usage change in progress."),
    ("usage_unchanged", 400, "The requested usage is the account's usage already."),
    ("tariff_category_mismatch", 400, "The tariff is not one of the requested usage."),
    ("no_materials", 400, "supply_materials named no material that was still missing."),
    ("invalid_usage", 400, "Usage category is not valid."),
    ("invalid_size", 400, "Requested pipe size is outside DN15..DN600."),
    ("green_reason_required", 400, "A green-channel case needs a reason."),
    ("not_a_surveyor", 400, "assign_survey: the user is not an active surveyor."),
    ("booking_in_past", 400, "book_survey: the booking time lies in the past."),
    ("invalid_decision", 400, "Collective review decision is not approve/reject."),
    ("invalid_meeting_date", 400, "Collective review meeting date lies in the future."),
    ("no_fee_lines", 400, "assess_fee: no fee line."),
    ("unknown_fee_item", 400, "assess_fee: fee item unknown or inactive."),
    ("invalid_quantity", 400, "assess_fee: quantity is not a positive number."),
    ("payment_amount_mismatch", 400, "record_payment: amount differs from the assessed fee."),
    ("duplicate_reference", 400, "record_payment: receipt number used by another case."),
    ("invalid_meter_serial", 400, "install_meter: meter serial is not valid."),
    ("invalid_meter_size", 400, "install_meter: meter size is outside DN15..DN600."),
    ("invalid_reading", 400, "install_meter: initial reading is not valid."),
    ("meter_in_use", 400, "install_meter: the meter is installed elsewhere."),
    ("meter_unavailable", 400, "install_meter: the meter is removed or faulty."),
    ("meter_size_mismatch", 400, "install_meter: the stock meter has another size."),
    ("collective_review_required", 409, "approve: a collective review must come first."),
    ("transfer_read_required", 409, "complete: a validated transfer read must come first."),
    ("settlement_required", 409, "complete: the money owed must be paid first."),
    ("change_read_required", 409, "complete: a validated change read must come first."),
    (
        "change_period_billed",
        409,
        "complete: a bill run billed past the effective date; withdraw and apply again.",
    ),
    ("read_before_intake", 400, "record_read: a transfer read dated before the intake day."),
    ("collective_review_rejected", 409, "approve: the collective review said no."),
    ("collective_review_not_required", 409, "The application does not need a collective review."),
)

# --- the three kinds --------------------------------------------------------------------

NEW_CONNECTION_SPEC = register(
    KindSpec(
        kind=ApplicationKind.NEW_CONNECTION,
        label=ApplicationKind.NEW_CONNECTION.label,
        number_prefix="XZ",
        statuses=NewConnectionStatus,
        initial_statuses=(NewConnectionStatus.MATERIALS_PENDING, NewConnectionStatus.REGISTERED),
        workflow=NEW_CONNECTION,
        actions={
            "supply_materials": ActionSpec(
                nc.new_connection_supply_materials,
                forms.SupplyMaterialsForm,
                s.SupplyMaterialsSerializer,
            ),
            "withdraw": ActionSpec(
                nc.new_connection_withdraw, forms.WithdrawForm, WithdrawSerializer, css=SECONDARY
            ),
            "assign_survey": ActionSpec(
                nc.new_connection_assign_survey, forms.AssignSurveyForm, s.AssignSurveySerializer
            ),
            "book_survey": ActionSpec(
                nc.new_connection_book_survey,
                forms.BookSurveyForm,
                s.BookSurveySerializer,
                guard=_assigned_surveyor("new_connection"),
            ),
            "submit_survey": ActionSpec(
                nc.new_connection_submit_survey,
                forms.SubmitSurveyForm,
                s.SubmitSurveySerializer,
                guard=_assigned_surveyor("new_connection"),
            ),
            "review_pass": ActionSpec(
                nc.new_connection_review_pass, forms.OpinionForm, s.OpinionSerializer
            ),
            "review_reject": ActionSpec(
                nc.new_connection_review_reject,
                forms.RejectForm,
                s.OpinionSerializer,
                css=SECONDARY,
            ),
            "record_collective_review": ActionSpec(
                nc.new_connection_collective_review_record,
                forms.CollectiveReviewForm,
                s.CollectiveReviewInputSerializer,
                guard=_needs_meeting,
            ),
            "approve": ActionSpec(
                nc.new_connection_approve,
                forms.OpinionForm,
                s.OpinionSerializer,
                guard=_may_approve,
            ),
            "approval_reject": ActionSpec(
                nc.new_connection_approval_reject,
                forms.RejectForm,
                s.OpinionSerializer,
                css=SECONDARY,
            ),
            "assess_fee": ActionSpec(
                nc.new_connection_assess_fee,
                forms.AssessFeeForm,
                s.AssessFeeSerializer,
                money=True,
                template="applications/partials/fee_rows.html",
            ),
            "record_payment": ActionSpec(
                nc.new_connection_record_payment,
                forms.RecordPaymentForm,
                s.RecordPaymentSerializer,
                money=True,
            ),
            "install_meter": ActionSpec(
                nc.new_connection_install_meter, forms.InstallMeterForm, s.InstallMeterSerializer
            ),
            "open_account": ActionSpec(
                nc.new_connection_open_account, forms.OpenAccountForm, s.OpenAccountSerializer
            ),
            "turn_water_on": ActionSpec(
                nc.new_connection_turn_water_on, forms.TurnWaterOnForm, s.TurnWaterOnSerializer
            ),
        },
        detail_field="new_connection",
        detail_serializer=s.NewConnectionSerializer,
        detail_template="applications/partials/new_connection_details.html",
        page_context=_new_connection_context,
        material_choices=_new_connection_materials,
        intake=IntakeSpec(
            permission="applications.intake_newconnection",
            label=_("新装开户"),
            url_name="workbench:intake",
            service=nc.new_connection_register,
            serializer=s.NewConnectionIntakeSerializer,
            api_path="new-connections/",
            api_name="new-connection",
            summary="Register a new-connection application",
            description="Registers the application (and the customer, when `customer_data` is "
            "given, and the premise, when `premise_address` + `zone` are given). Missing "
            "materials put the case in `materials_pending` with one notice listing all of "
            "them. `follows`: the public id of a case of another kind this application "
            "comes from (an inquiry), which records the link.",
        ),
        documents=_RECEIPT,
        events={
            **_MATERIAL_EVENTS,
            "assign_survey": EventView(summary=_surveyor),
            "book_survey": EventView(summary=_booked),
            "record_collective_review": EventView(summary=_meeting),
            "assess_fee": EventView(summary=_fee),
            "record_payment": EventView(summary=_payment),
            "install_meter": EventView(summary=_meter),
            "open_account": EventView(summary=_account),
        },
        status_classes={**_STATUS_CLASSES, "fee_assessed": "badge-waiting"},
        milestones=_NEW_CONNECTION_MILESTONES,
        notices=tuple(
            f"new_connection.{event}"
            for event in (
                "registered",
                "materials_missing",
                "materials_complete",
                "withdrawn",
                "survey_booked",
                "rejected",
                "approved",
                "fee_assessed",
                "paid",
                "meter_installed",
                "water_on",
            )
        ),
        page_urls=PAGE_URLS,
        error_codes=ERROR_CODES,
    )
)

_CHANGE_EVENTS = {
    **_MATERIAL_EVENTS,
    "record_read": EventView(summary=_read),
    "final_bill": EventView(_("出具结清账单"), _final_bill),
}

OWNERSHIP_TRANSFER_SPEC = register(
    KindSpec(
        kind=ApplicationKind.OWNERSHIP_TRANSFER,
        label=ApplicationKind.OWNERSHIP_TRANSFER.label,
        number_prefix="GH",
        statuses=OwnershipTransferStatus,
        initial_statuses=(
            OwnershipTransferStatus.MATERIALS_PENDING,
            OwnershipTransferStatus.REGISTERED,
        ),
        workflow=OWNERSHIP_TRANSFER,
        actions={
            "supply_materials": ActionSpec(
                transfer.ownership_transfer_supply_materials,
                forms.SupplyMaterialsForm,
                s.SupplyMaterialsSerializer,
            ),
            "withdraw": ActionSpec(
                transfer.ownership_transfer_withdraw,
                forms.WithdrawForm,
                WithdrawSerializer,
                css=SECONDARY,
            ),
            "verify": ActionSpec(
                transfer.ownership_transfer_verify, forms.OpinionForm, s.OpinionSerializer
            ),
            "verification_reject": ActionSpec(
                transfer.ownership_transfer_verification_reject,
                forms.RejectForm,
                s.OpinionSerializer,
                css=SECONDARY,
            ),
            "record_read": ActionSpec(
                transfer.ownership_transfer_record_read,
                forms.RecordReadForm,
                s.RecordReadSerializer,
                outcome=_read_outcome(transfer_read_latest),
            ),
            # Made by ``complete`` itself when the old owner must settle first.
            "await_settlement": ActionSpec(transfer.ownership_transfer_complete, internal=True),
            "complete": ActionSpec(
                transfer.ownership_transfer_complete,
                forms.CompleteForm,
                s.CompleteSerializer,
                money=True,
            ),
        },
        detail_field="ownership_transfer",
        detail_serializer=s.OwnershipTransferSerializer,
        detail_template="applications/partials/ownership_transfer_details.html",
        page_context=_ownership_transfer_context,
        material_choices=_change_materials,
        intake=IntakeSpec(
            permission="applications.intake_ownershiptransfer",
            label=_("水表过户"),
            url_name="workbench:intake_transfer",
            starts_from="account",
            service=transfer.ownership_transfer_register,
            serializer=s.OwnershipTransferIntakeSerializer,
            api_path="ownership-transfers/",
            api_name="ownership-transfer",
            summary="Register an ownership transfer",
            description="Transfers `account` to a new owner (an existing customer, or one "
            "registered from `new_customer_data`). Missing materials put the case in "
            "`materials_pending` with one notice. Then: `verify` → `record_read` (the transfer "
            "read, by a meter reader or billing clerk; sent again for the same day with a "
            "`note` it corrects the read, the note being the reason) → `complete` (final bill "
            "once, or the bill that already reaches the read's day; with the settlement policy "
            "and money owed the case waits in `awaiting_settlement` and `complete` is retried "
            "after payment). Errors: `transfer_in_progress`, "
            "`same_owner`, `account_closed`, `unknown_material`, `transfer_read_required`, "
            "`settlement_required`.",
        ),
        documents=_RECEIPT,
        events={
            **_CHANGE_EVENTS,
            "await_settlement": EventView(summary=_settlement),
            "complete": EventView(summary=_transfer_done),
        },
        status_classes={**_STATUS_CLASSES, "awaiting_settlement": "badge-waiting"},
        milestones=_COMPLETE,
        notices=tuple(
            f"ownership_transfer.{event}"
            for event in (
                "registered",
                "materials_missing",
                "materials_complete",
                "withdrawn",
                "rejected",
                "settlement_required",
                "completed",
                "completed_previous",
            )
        ),
        page_urls=PAGE_URLS,
        error_codes=ERROR_CODES,
    )
)

USAGE_CHANGE_SPEC = register(
    KindSpec(
        kind=ApplicationKind.USAGE_CHANGE,
        label=ApplicationKind.USAGE_CHANGE.label,
        number_prefix="BG",
        statuses=UsageChangeStatus,
        initial_statuses=(UsageChangeStatus.MATERIALS_PENDING, UsageChangeStatus.REGISTERED),
        workflow=USAGE_CHANGE,
        actions={
            "supply_materials": ActionSpec(
                usage_change.usage_change_supply_materials,
                forms.SupplyMaterialsForm,
                s.SupplyMaterialsSerializer,
            ),
            "withdraw": ActionSpec(
                usage_change.usage_change_withdraw,
                forms.WithdrawForm,
                WithdrawSerializer,
                css=SECONDARY,
            ),
            "verify_at_desk": ActionSpec(
                usage_change.usage_change_verify_at_desk,
                forms.VerifyUsageForm,
                s.VerifyUsageSerializer,
            ),
            "assign_survey": ActionSpec(
                usage_change.usage_change_assign_survey,
                forms.AssignChangeSurveyForm,
                s.AssignSurveySerializer,
            ),
            "record_survey": ActionSpec(
                usage_change.usage_change_record_survey,
                forms.RecordSurveyForm,
                s.RecordSurveySerializer,
                guard=_assigned_surveyor("usage_change"),
            ),
            "verification_reject": ActionSpec(
                usage_change.usage_change_verification_reject,
                forms.RejectForm,
                s.OpinionSerializer,
                css=SECONDARY,
            ),
            "approve_change": ActionSpec(
                usage_change.usage_change_approve,
                forms.ApproveChangeForm,
                s.ApproveChangeSerializer,
            ),
            "approval_reject": ActionSpec(
                usage_change.usage_change_approval_reject,
                forms.RejectForm,
                s.OpinionSerializer,
                css=SECONDARY,
            ),
            "record_read": ActionSpec(
                usage_change.usage_change_record_read,
                forms.RecordReadForm,
                s.RecordReadSerializer,
                outcome=_read_outcome(change_read_on_effective_date),
            ),
            "complete": ActionSpec(
                usage_change.usage_change_complete,
                forms.CompleteForm,
                s.CompleteSerializer,
                money=True,
            ),
        },
        detail_field="usage_change",
        detail_serializer=s.UsageChangeSerializer,
        detail_template="applications/partials/usage_change_details.html",
        page_context=_usage_change_context,
        material_choices=_change_materials,
        intake=IntakeSpec(
            permission="applications.intake_usagechange",
            label=_("用水性质变更"),
            url_name="workbench:intake_usage_change",
            starts_from="account",
            service=usage_change.usage_change_register,
            serializer=s.UsageChangeIntakeSerializer,
            api_path="usage-changes/",
            api_name="usage-change",
            summary="Register a usage change",
            description="Changes `account` to `requested_usage` (optionally a special tariff). "
            "Then: `verify_at_desk` or `assign_survey` → `record_survey`; `approve_change` "
            "(with the effective date) by an approver; `record_read` on the effective date; "
            "`complete` (the usage up to the read billed at the old price, the new tariff after "
            "it, the customer told the new price). Errors: `usage_change_in_progress`, "
            "`usage_unchanged`, `tariff_category_mismatch`, `change_read_required`.",
        ),
        documents=_RECEIPT,
        events={
            **_CHANGE_EVENTS,
            "verify_at_desk": EventView(summary=_verified_usage),
            "record_survey": EventView(summary=_verified_usage),
            "approve_change": EventView(summary=_effective),
            "complete": EventView(summary=_change_done),
        },
        status_classes=_STATUS_CLASSES,
        milestones=_COMPLETE,
        notices=tuple(
            f"usage_change.{event}"
            for event in (
                "registered",
                "materials_missing",
                "materials_complete",
                "withdrawn",
                "rejected",
                "approved",
                "completed",
            )
        ),
        page_urls=PAGE_URLS,
        error_codes=ERROR_CODES,
    )
)
