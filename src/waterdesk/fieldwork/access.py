"""Who may see and work a work order: the crew of the order works it; dispatchers and
supervisors read every order; whoever may see the order's case reads its orders (a
collector, the disconnection of an account they collect). The services check the same
rule when a crew member acts (``work_order_may_work``); the pages use
``work_order_get_for`` to read one."""

from __future__ import annotations

from django.utils.translation import gettext as _

from waterdesk.cases.selectors import case_scope
from waterdesk.core.errors import NotFound, NotPermitted
from waterdesk.customers.models import AccessChannel, PersonalField
from waterdesk.customers.privacy import Shown, personal_value
from waterdesk.fieldwork.models import Crew, WorkOrder
from waterdesk.fieldwork.workflow import DISPATCH_PERMISSION, VIEW_PERMISSION, WORK_PERMISSION

# Supervisors read every order (they watch the service, R-S2) without dispatching.
VIEW_ALL_PERMISSION = "cases.view_all_cases"


def crew_of(user) -> Crew | None:
    membership = getattr(user, "crew_membership", None) if user is not None else None
    return membership.crew if membership is not None else None


def work_order_may_work(*, user, order: WorkOrder) -> bool:
    """Whether ``user`` may act on ``order`` as its crew (the services' own check)."""
    if user is None or not user.has_perm(WORK_PERMISSION):
        return False
    crew = crew_of(user)
    return crew is not None and crew.pk == order.crew_id


def work_order_reads_all(user) -> bool:
    """Dispatchers and supervisors read every order, whatever its crew."""
    return user.has_perm(VIEW_PERMISSION) and (
        user.has_perm(DISPATCH_PERMISSION) or user.has_perm(VIEW_ALL_PERMISSION)
    )


def work_order_may_view(*, user, order: WorkOrder) -> bool:
    return user.has_perm(VIEW_PERMISSION) and (
        work_order_reads_all(user)
        or work_order_may_work(user=user, order=order)
        or case_scope(user).filter(pk=order.case_id).exists()
    )


def work_order_get_for(*, user, public_id) -> WorkOrder:
    """The order for its page, sheet and photos: ``NotFound`` when there is none, and
    ``NotPermitted`` (with what to do) for a crew member of another crew — the order may
    have been reassigned away from them after they were told of it."""
    order = (
        WorkOrder.objects.select_related("case", "crew", "premise")
        .filter(public_id=public_id)
        .first()
    )
    if order is None:
        raise NotFound()
    if not work_order_may_view(user=user, order=order):
        if user.has_perm(WORK_PERMISSION):
            raise NotPermitted(
                _("该工单不属于您所在的班组，不能查看；如需接手，请联系调度员改派。"),
                code="not_your_crew",
            )
        raise NotPermitted()
    return order


def work_order_contact_phone(*, user, order: WorkOrder) -> Shown:
    """The order's contact phone as ``user`` may see it: in full for the crew of the order,
    who must call the customer (logged, as every full display), masked for anyone else."""
    grant = (
        _("处理外勤工单 %(number)s") % {"number": order.number}
        if work_order_may_work(user=user, order=order)
        else None
    )
    return personal_value(
        user=user,
        field=PersonalField.CONTACT_PHONE,
        raw=order.contact_phone,
        channel=AccessChannel.PAGE,
        customer=order.case.customer,
        case_number=order.case.number,
        grant_reason=grant,
    )
