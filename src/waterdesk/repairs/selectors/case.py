"""Reads of one repair: its detail, callers, work orders, clocks, what the crew sees of it,
and its callers' phones as the personal-data policy lets a user see them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waterdesk.cases.access import case_is_handled_by, case_may_act_now
from waterdesk.cases.models import Case
from waterdesk.customers.models import PersonalField
from waterdesk.customers.privacy import Shown, personal_value
from waterdesk.fieldwork.models import OPEN_STATUSES, WorkOrder
from waterdesk.fieldwork.selectors import case_work_orders
from waterdesk.repairs.models import FollowUp, Repair, RepairContact, Urgency
from waterdesk.repairs.workflow import KIND, PURPOSE
from waterdesk.sla.models import SlaClock


def repair_of(case: Case) -> Repair:
    return Repair.objects.select_related(
        "fault_type", "zone", "account", "completed_by_crew", "failed_by", "incident"
    ).get(case=case)


def repair_contacts(repair: Repair) -> QuerySet[RepairContact]:
    return repair.contacts.select_related("customer", "recorded_by").order_by("reported_at", "pk")


def repair_follow_ups(repair: Repair) -> QuerySet[FollowUp]:
    return repair.follow_ups.select_related("called_by").order_by("called_at", "pk")


def repair_work_orders(case: Case) -> QuerySet[WorkOrder]:
    return case_work_orders(case).filter(purpose=PURPOSE)


def repair_open_order(case: Case) -> WorkOrder | None:
    """The repair's work order still in the crew's hands, if any (one at a time)."""
    return repair_work_orders(case).filter(status__in=OPEN_STATUSES).last()


def repair_clock(case: Case, milestone: str) -> SlaClock | None:
    return SlaClock.objects.filter(case=case, milestone=milestone).first()


def repair_case_get(public_id) -> Case | None:
    """An open repair by its case's public id (the case a report is linked to), whatever
    the user's case scope: the hotline links reports to any open repair it was shown."""
    return (
        Case.objects.filter(kind=KIND, public_id=public_id)
        .select_related("customer", "premise")
        .first()
    )


# --- the callers' phones ------------------------------------------------------------------


def _contact_grant_reason(*, user, case: Case) -> str | None:
    """The case's own rule for its contact phone (``cases.access``): open, and handled by
    the user or movable by the user's role now."""
    if not case.is_open:
        return None
    if case_is_handled_by(user=user, case=case) or case_may_act_now(user=user, case=case):
        return str(format_lazy(gettext_lazy("经办工单 {number}"), number=case.number))
    return None


def repair_contact_phone(*, user, case: Case, contact: RepairContact, channel: str) -> Shown:
    """A caller's phone as ``user`` may see it: full for the staff handling the repair
    (logged), masked for the others (who may reveal it with a reason where their role
    allows). The same rule as the case's contact phone."""
    return personal_value(
        user=user,
        field=PersonalField.CONTACT_PHONE,
        raw=contact.phone,
        channel=channel,
        customer=contact.customer,
        case_number=case.number,
        grant_reason=_contact_grant_reason(user=user, case=case) if contact.phone else None,
    )


# --- what the crew sees -------------------------------------------------------------------


def repair_case_facts(case: Case) -> list[tuple[str, str]]:
    """The facts of the repair on the crew's order page (the purpose's ``case_facts``)."""
    repair = repair_of(case)
    facts = [
        (_("故障类型"), repair.fault_type.name),
        (_("紧急程度"), str(Urgency(repair.urgency).label)),
        (_("故障描述"), repair.description),
        (_("报修地址"), repair.address),
    ]
    if case.is_green:
        facts.append((_("绿色通道"), case.green_channel_reason or _("是")))
    if repair.account is not None:
        facts.append((_("户号"), repair.account.number))
    callers = repair.contacts.count()
    if callers > 1:
        facts.append((_("报修人数"), _("%(count)s 人报修同一故障") % {"count": callers}))
    return facts
