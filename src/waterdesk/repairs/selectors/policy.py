"""The repair policy in force and the time limits it sets."""

from decimal import Decimal

from waterdesk.cases.models import Priority
from waterdesk.core.memo import memo_get
from waterdesk.repairs.models import RepairPolicy
from waterdesk.repairs.workflow import CONTACT_MILESTONE, FOLLOW_UP_MILESTONE, KIND
from waterdesk.sla.models import SlaPolicy, SlaUnit

POLICY_MEMO = "repairs.policy"


def repair_policy() -> RepairPolicy:
    """The latest ``RepairPolicy`` row; the model's defaults when there is none. Read once
    per request (``core.memo``)."""
    return memo_get(
        POLICY_MEMO,
        lambda: (
            RepairPolicy.objects.select_related("department", "quality_department")
            .order_by("-pk")
            .first()
            or RepairPolicy()
        ),
    )


def _green_amount(milestone: str) -> Decimal | None:
    policy = SlaPolicy.objects.filter(
        case_kind=KIND, milestone=milestone, priority=Priority.GREEN, is_active=True
    ).first()
    return policy.amount if policy is not None else None


def _limit(case, milestone: str, amount: Decimal) -> Decimal:
    """``amount``, or the green channel's shorter limit (its ``SlaPolicy`` row) for a case
    in the green channel."""
    if case.priority == Priority.GREEN:
        green = _green_amount(milestone)
        if green is not None:
            return min(amount, green)
    return amount


def contact_limit(case, policy: RepairPolicy) -> tuple[Decimal, str]:
    """(amount, unit) of a general repair's contact clock: the policy's hours, counted in
    working hours when the policy says so (a report at night waits for the morning),
    calendar hours otherwise; the green channel's limit when it is shorter."""
    unit = SlaUnit.WORKING_HOURS if policy.contact_in_business_hours else SlaUnit.CALENDAR_HOURS
    return _limit(case, CONTACT_MILESTONE, Decimal(policy.contact_hours)), unit


def follow_up_limit(case, policy: RepairPolicy) -> tuple[Decimal, str]:
    """(amount, unit) of the follow-up call's clock: the policy's days in calendar hours
    from completion; the green channel's limit when it is shorter."""
    amount = Decimal(policy.follow_up_days * 24)
    return _limit(case, FOLLOW_UP_MILESTONE, amount), SlaUnit.CALENDAR_HOURS
