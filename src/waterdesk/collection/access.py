"""Who may work the collector's tasks, and what of the customer's personal data that opens.

A collector calls the account holder and knocks on the door: while a task is open, the
holders of the collection work permission see the holder's mobile in full (a tap-to-call
link), each display logged by the personal-data policy (``customers.privacy``); anyone
else sees it masked."""

from __future__ import annotations

from django.utils.translation import gettext as _

from waterdesk.collection.models import ActionStatus, CollectionAction
from waterdesk.collection.workflow import WORK_PERMISSION
from waterdesk.customers.models import AccessChannel, PersonalField
from waterdesk.customers.privacy import Shown, personal_value


def task_may_work(*, user, task: CollectionAction) -> bool:
    """Whether ``user`` may record the outcome of ``task`` now (the service's own check)."""
    return user.has_perm(WORK_PERMISSION) and task.status == ActionStatus.OPEN


def task_phone(*, user, task: CollectionAction) -> Shown:
    """The account holder's mobile as ``user`` may see it on the task's card and page."""
    case = task.dunning.case
    customer = task.dunning.account.customer
    grant = (
        _("催收任务 %(number)s") % {"number": case.number}
        if task_may_work(user=user, task=task)
        else None
    )
    return personal_value(
        user=user,
        field=PersonalField.MOBILE,
        raw=customer.mobile,
        channel=AccessChannel.PAGE,
        customer=customer,
        case_number=case.number,
        grant_reason=grant,
    )
