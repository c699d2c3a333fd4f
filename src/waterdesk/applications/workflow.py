"""The new-connection workflow (新装开户): every status, every move, and who may make it."""

from django.utils.translation import gettext_lazy as _

from waterdesk.applications.models import NewConnectionStatus as S
from waterdesk.cases.models import CaseKind
from waterdesk.cases.workflow import Transition, Workflow, register

_INTAKE = "applications.intake_newconnection"
_SURVEY = "applications.survey_newconnection"
_REVIEW = "applications.review_newconnection"
_APPROVE = "applications.approve_newconnection"
_COLLECTIVE = "applications.collective_review_newconnection"
_FEE = "applications.assess_fee_newconnection"
_PAYMENT = "applications.record_payment_newconnection"
_INSTALL = "applications.install_meter_newconnection"
_ACCOUNT = "applications.open_account_newconnection"

NEW_CONNECTION = register(
    Workflow(
        kind=CaseKind.NEW_CONNECTION,
        transitions=[
            Transition(
                "supply_materials", (S.MATERIALS_PENDING,), S.REGISTERED, _INTAKE, _("补齐材料")
            ),
            Transition(
                "withdraw",
                (S.MATERIALS_PENDING, S.REGISTERED, S.SURVEY_ASSIGNED, S.SURVEY_BOOKED),
                S.WITHDRAWN,
                _INTAKE,
                _("撤回申请"),
            ),
            Transition("assign_survey", (S.REGISTERED,), S.SURVEY_ASSIGNED, _INTAKE, _("派发勘查")),
            Transition(
                "book_survey", (S.SURVEY_ASSIGNED,), S.SURVEY_BOOKED, _SURVEY, _("预约勘查")
            ),
            Transition("submit_survey", (S.SURVEY_BOOKED,), S.SURVEYED, _SURVEY, _("提交勘查报告")),
            Transition("review_pass", (S.SURVEYED,), S.REVIEWED, _REVIEW, _("初审通过")),
            Transition("review_reject", (S.SURVEYED,), S.REJECTED, _REVIEW, _("初审不通过")),
            Transition(
                "record_collective_review",
                (S.REVIEWED,),
                S.COLLECTIVE_REVIEWED,
                _COLLECTIVE,
                _("登记集体审议"),
            ),
            Transition(
                "approve", (S.REVIEWED, S.COLLECTIVE_REVIEWED), S.APPROVED, _APPROVE, _("审批通过")
            ),
            Transition(
                "approval_reject",
                (S.REVIEWED, S.COLLECTIVE_REVIEWED),
                S.REJECTED,
                _APPROVE,
                _("审批不通过"),
            ),
            Transition("assess_fee", (S.APPROVED,), S.FEE_ASSESSED, _FEE, _("核算费用")),
            Transition("record_payment", (S.FEE_ASSESSED,), S.PAID, _PAYMENT, _("登记缴费")),
            Transition("install_meter", (S.PAID,), S.METER_INSTALLED, _INSTALL, _("安装水表")),
            Transition(
                "open_account", (S.METER_INSTALLED,), S.ACCOUNT_OPENED, _ACCOUNT, _("办理开户")
            ),
            Transition("turn_water_on", (S.ACCOUNT_OPENED,), S.COMPLETED, _INSTALL, _("通水")),
        ],
        terminal=frozenset({S.COMPLETED, S.REJECTED, S.WITHDRAWN}),
    )
)
