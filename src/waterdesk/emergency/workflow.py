"""The workflow of an incident (突发事件): every status, every move, and who may make it.

    active --incident_escalate / incident_update / incident_water_point_add /
            incident_water_point_close / incident_area--> active
                                                    (level, estimate, points, area: notices)
    active | restored --incident_task_done / incident_task_add--> (same)   (the checklist)
    active --incident_restore--> restored           (restoration confirmed, notice to all)
    restored --incident_review--> restored          (the post-incident review and measures)
    active | restored --incident_close--> closed    (checklist done, restored, reviewed)
    active --incident_cancel--> cancelled           (a false alarm)

The action names carry the kind's prefix: they share the API's action URLs with no other
kind (``/api/cases/<id>/actions/incident_restore/``). Closing an active incident is a move
of the table so that the service refuses it with its reason (``restoration_required``).
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.emergency.models import IncidentStatus as S

KIND = "incident"
OPEN_PERMISSION = "emergency.open_incident"
MANAGE_PERMISSION = "emergency.manage_incident"
REVIEW_PERMISSION = "emergency.review_incident"

# SLA: the post-incident review is due within the policy's time after the restoration.
REVIEW_MILESTONE = "review"


def _stays(action: str, statuses, permission: str, label) -> list[Transition]:
    return [Transition(action, (status,), status, permission, label) for status in statuses]


INCIDENT = Workflow(
    kind=KIND,
    transitions=[
        *_stays("incident_escalate", (S.ACTIVE,), MANAGE_PERMISSION, _("调整响应级别")),
        *_stays("incident_update", (S.ACTIVE,), MANAGE_PERMISSION, _("发布进展")),
        *_stays("incident_water_point_add", (S.ACTIVE,), MANAGE_PERMISSION, _("设立临时供水点")),
        *_stays("incident_water_point_close", (S.ACTIVE,), MANAGE_PERMISSION, _("撤除临时供水点")),
        *_stays("incident_area", (S.ACTIVE,), MANAGE_PERMISSION, _("调整影响范围")),
        *_stays("incident_task_done", (S.ACTIVE, S.RESTORED), MANAGE_PERMISSION, _("完成处置任务")),
        *_stays("incident_task_add", (S.ACTIVE, S.RESTORED), MANAGE_PERMISSION, _("增加处置任务")),
        Transition(
            "incident_restore", (S.ACTIVE,), S.RESTORED, MANAGE_PERMISSION, _("确认恢复供水")
        ),
        *_stays("incident_review", (S.RESTORED,), REVIEW_PERMISSION, _("事件复盘")),
        Transition(
            "incident_close", (S.ACTIVE, S.RESTORED), S.CLOSED, REVIEW_PERMISSION, _("复盘结案")
        ),
        Transition(
            "incident_cancel", (S.ACTIVE,), S.CANCELLED, MANAGE_PERMISSION, _("撤销（误报）")
        ),
    ],
    terminal=frozenset({S.CLOSED, S.CANCELLED}),
)
