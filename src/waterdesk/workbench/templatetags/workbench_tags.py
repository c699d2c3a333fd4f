"""Labels and small formatting helpers of the staff pages."""

from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.applications.models import (
    CollectiveDecision,
    NewConnectionStatus,
    OwnershipTransferStatus,
    UsageChangeStatus,
)
from waterdesk.billing.models import ReadStatus
from waterdesk.cases.access import case_contact_phone
from waterdesk.cases.models import CaseKind
from waterdesk.cases.workflow import workflow_for
from waterdesk.core.timeutil import local
from waterdesk.customers.models import AccessChannel, UsageCategory
from waterdesk.customers.privacy import customer_masked, customer_personal_data

register = template.Library()

# The status enum of each case kind (the Case row stores the bare value).
STATUS_ENUMS = {
    CaseKind.NEW_CONNECTION: NewConnectionStatus,
    CaseKind.OWNERSHIP_TRANSFER: OwnershipTransferStatus,
    CaseKind.USAGE_CHANGE: UsageChangeStatus,
}

MILESTONE_LABELS = {
    "contact_customer": _("联系客户"),
    "complete": _("全程办结"),
}

# clock_status_label() value → (label, badge classes of app.css)
CLOCK_STATUS = {
    "met": (_("按时完成"), "badge-success"),
    "breached": (_("已超时"), "overdue"),
    "at_risk": (_("临近超时"), "at-risk"),
    "on_track": (_("计时中"), "badge-info"),
    "paused": (_("已暂停"), "badge-paused"),
    "cancelled": (_("已取消"), "badge-neutral"),
}

# Badge class per case status; anything else open is "badge-open".
STATUS_CLASSES = {
    NewConnectionStatus.MATERIALS_PENDING: "badge-waiting",
    NewConnectionStatus.FEE_ASSESSED: "badge-waiting",
    NewConnectionStatus.COMPLETED: "badge-done",
    NewConnectionStatus.REJECTED: "badge-rejected",
    NewConnectionStatus.WITHDRAWN: "badge-closed",
    OwnershipTransferStatus.AWAITING_SETTLEMENT: "badge-waiting",
}

READ_STATUS_LABELS = dict(ReadStatus.choices)

# Events that are not transitions of a workflow.
EVENT_LABELS = {
    "open": _("受理登记"),
    "material_notice": _("一次性告知"),
    "materials_partial": _("部分补交材料"),
    "attach": _("上传附件"),
    "withdraw_attachment": _("撤回附件"),
    "reassign": _("改派"),
    "final_bill": _("出具结清账单"),
}


@register.filter
def status_label(status: str, kind: str = CaseKind.NEW_CONNECTION) -> str:
    """``{{ case.status|status_label:case.kind }}``"""
    enum = STATUS_ENUMS.get(kind)
    if enum is not None and status in enum.values:
        return str(enum(status).label)
    return status


@register.filter
def case_status(case) -> str:
    return status_label(case.status, case.kind)


@register.filter
def status_class(case) -> str:
    return STATUS_CLASSES.get(case.status, "badge-open" if case.is_open else "badge-closed")


@register.filter
def milestone_label(milestone: str) -> str:
    return str(MILESTONE_LABELS.get(milestone, milestone))


@register.filter
def clock_status_text(status: str) -> str:
    return str(CLOCK_STATUS.get(status, (status, ""))[0])


@register.filter
def clock_status_class(status: str) -> str:
    return CLOCK_STATUS.get(status, ("", ""))[1]


@register.filter
def event_label(event) -> str:
    if event.action in EVENT_LABELS:
        return str(EVENT_LABELS[event.action])
    try:
        workflow = workflow_for(event.case.kind)
    except KeyError:
        return event.action
    for transition in workflow.transitions:
        if transition.action == event.action:
            return transition.label
    return event.action


def _when(value: str) -> str:
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(value) if value else None
    return local(parsed).strftime("%Y-%m-%d %H:%M") if parsed and parsed.tzinfo else value


@register.filter
def event_summary(event) -> str:
    """A short Chinese line for the data an event carries (the note is shown separately)."""
    data = event.data or {}
    action = event.action
    if action == "material_notice":
        return gettext("缺少材料 %(count)s 项，补齐期限 %(deadline)s") % {
            "count": len(data.get("missing", [])),
            "deadline": data.get("deadline", ""),
        }
    if action == "assign_survey" and data.get("surveyor"):
        return gettext("勘查员：%(name)s") % {"name": data["surveyor"]}
    if action == "book_survey" and data.get("booked_for"):
        return gettext("预约时间：%(when)s") % {"when": _when(data["booked_for"])}
    if action == "record_collective_review" and data.get("decision"):
        decision = data["decision"]
        label = (
            CollectiveDecision(decision).label
            if decision in CollectiveDecision.values
            else decision
        )
        return gettext("审议结论：%(decision)s（%(date)s）") % {
            "decision": label,
            "date": data.get("meeting_date", ""),
        }
    if action == "assess_fee" and "total" in data:
        return gettext("应缴 %(total)s 元") % {"total": data["total"]}
    if action == "record_payment" and "amount" in data:
        return gettext("实缴 %(amount)s 元，收据/流水号 %(reference)s") % {
            "amount": data["amount"],
            "reference": data.get("reference", ""),
        }
    if action == "install_meter" and data.get("meter"):
        return gettext("表号 %(meter)s，初始读数 %(reading)s") % {
            "meter": data["meter"],
            "reading": data.get("initial_reading", ""),
        }
    if action == "open_account" and data.get("account"):
        return gettext("户号 %(account)s") % {"account": data["account"]}
    if action == "record_read" and "value" in data:
        return gettext("读数 %(value)s（%(day)s），用水量 %(volume)s m³，%(status)s") % {
            "value": data["value"],
            "day": data.get("read_on", ""),
            "volume": data.get("consumption") or "—",
            "status": READ_STATUS_LABELS.get(data.get("status"), data.get("status", "")),
        }
    if action == "final_bill" and data.get("bill"):
        return gettext("账单 %(bill)s，金额 %(amount)s 元") % {
            "bill": data["bill"],
            "amount": data.get("amount", ""),
        }
    if action == "await_settlement" and "balance" in data:
        return gettext("原户主欠费 %(balance)s 元") % {"balance": data["balance"]}
    if action in {"verify_at_desk", "record_survey"} and data.get("verified_usage"):
        usage = data["verified_usage"]
        label = UsageCategory(usage).label if usage in UsageCategory.values else usage
        return gettext("核实用水性质：%(usage)s") % {"usage": label}
    if action == "approve_change" and data.get("effective_date"):
        return gettext("生效日期 %(day)s") % {"day": data["effective_date"]}
    if action == "complete" and data.get("to"):
        return gettext("户号 %(account)s：%(old)s → %(new)s") % {
            "account": data.get("account", ""),
            "old": data.get("from", ""),
            "new": data["to"],
        }
    if action == "complete" and data.get("usage"):
        usage = data["usage"]
        label = UsageCategory(usage).label if usage in UsageCategory.values else usage
        return gettext("户号 %(account)s 变更为%(usage)s") % {
            "account": data.get("account", ""),
            "usage": label,
        }
    if action == "attach" and data.get("file"):
        return gettext("文件：%(file)s") % {"file": data["file"]}
    if action == "withdraw_attachment" and data.get("file"):
        # The reason is the event's note, shown under this line.
        return gettext("已撤回文件：%(file)s") % {"file": data["file"]}
    if action == "reassign":
        return gettext("%(old)s → %(new)s") % {
            "old": data.get("from") or "—",
            "new": data.get("to") or "—",
        }
    return ""


@register.filter
def user_label(user) -> str:
    if user is None:
        return str(_("系统"))
    return user.get_full_name() or user.get_username()


@register.simple_tag
def masked(customer, field: str) -> str:
    """A customer's personal field masked (lists and search results)."""
    return customer_masked(customer, field) or "—"


@register.inclusion_tag("workbench/partials/personal_value.html", takes_context=True)
def personal(context, customer, field: str) -> dict:
    """A customer's personal field as the personal-data policy lets this user see it, with
    the "show full" control where the user may reveal it (full displays are logged)."""
    user = context["request"].user
    shown = customer_personal_data(
        user=user, customer=customer, channel=AccessChannel.PAGE, fields=(field,)
    )[field]
    return {"shown": shown, "subject": "customer", "subject_id": customer.public_id}


@register.inclusion_tag("workbench/partials/personal_value.html", takes_context=True)
def case_contact(context, case) -> dict:
    """A case's contact phone under the same policy."""
    user = context["request"].user
    shown = case_contact_phone(user=user, case=case, channel=AccessChannel.PAGE)
    return {"shown": shown, "subject": "case", "subject_id": case.public_id}
