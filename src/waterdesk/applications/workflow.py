"""The workflows of the application services — new connection (新装开户), ownership transfer
(水表过户) and usage change (用水性质变更): every status, every move, and who may make it."""

from django.utils.translation import gettext_lazy as _

from waterdesk.applications.models import ApplicationKind
from waterdesk.applications.models import NewConnectionStatus as S
from waterdesk.applications.models import OwnershipTransferStatus as T
from waterdesk.applications.models import UsageChangeStatus as U
from waterdesk.cases.workflow import Transition, Workflow

_INTAKE = "applications.intake_newconnection"
_SURVEY = "applications.survey_newconnection"
_REVIEW = "applications.review_newconnection"
_APPROVE = "applications.approve_newconnection"
_COLLECTIVE = "applications.collective_review_newconnection"
_FEE = "applications.assess_fee_newconnection"
_PAYMENT = "applications.record_payment_newconnection"
_INSTALL = "applications.install_meter_newconnection"
_ACCOUNT = "applications.open_account_newconnection"

NEW_CONNECTION = Workflow(
    kind=ApplicationKind.NEW_CONNECTION,
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
        Transition("book_survey", (S.SURVEY_ASSIGNED,), S.SURVEY_BOOKED, _SURVEY, _("预约勘查")),
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
        Transition("open_account", (S.METER_INSTALLED,), S.ACCOUNT_OPENED, _ACCOUNT, _("办理开户")),
        Transition("turn_water_on", (S.ACCOUNT_OPENED,), S.COMPLETED, _INSTALL, _("通水")),
    ],
    terminal=frozenset({S.COMPLETED, S.REJECTED, S.WITHDRAWN}),
)


# --- ownership transfer ----------------------------------------------------------------
# Intake clerks register, verify the materials and complete; meter readers and billing
# clerks (billing.add_meterread) record the transfer read from the case page. Completing
# issues the old owner's final bill once; when the policy requires settlement and money is
# still owed, the same service parks the case in "awaiting_settlement" (an internal move,
# not offered as a button) and completing is retried after the old owner has paid.


_TRANSFER_INTAKE = "applications.intake_ownershiptransfer"
_TRANSFER_VERIFY = "applications.verify_ownershiptransfer"
_TRANSFER_COMPLETE = "applications.complete_ownershiptransfer"
READ_PERMISSION = "billing.add_meterread"

OWNERSHIP_TRANSFER = Workflow(
    kind=ApplicationKind.OWNERSHIP_TRANSFER,
    transitions=[
        Transition(
            "supply_materials",
            (T.MATERIALS_PENDING,),
            T.REGISTERED,
            _TRANSFER_INTAKE,
            _("补齐材料"),
        ),
        Transition(
            "withdraw",
            (T.MATERIALS_PENDING, T.REGISTERED, T.VERIFIED, T.AWAITING_SETTLEMENT),
            T.WITHDRAWN,
            _TRANSFER_INTAKE,
            _("撤回申请"),
        ),
        Transition("verify", (T.REGISTERED,), T.VERIFIED, _TRANSFER_VERIFY, _("材料核验通过")),
        Transition(
            "verification_reject",
            (T.REGISTERED,),
            T.REJECTED,
            _TRANSFER_VERIFY,
            _("材料核验不通过"),
        ),
        # Recording the read does not move the case: the completion checks for it.
        Transition("record_read", (T.VERIFIED,), T.VERIFIED, READ_PERMISSION, _("录入过户读数")),
        Transition(
            "await_settlement",
            (T.VERIFIED,),
            T.AWAITING_SETTLEMENT,
            _TRANSFER_COMPLETE,
            _("等待结清欠费"),
        ),
        Transition(
            "complete",
            (T.VERIFIED, T.AWAITING_SETTLEMENT),
            T.COMPLETED,
            _TRANSFER_COMPLETE,
            _("办理过户"),
        ),
    ],
    terminal=frozenset({T.COMPLETED, T.REJECTED, T.WITHDRAWN}),
)

# --- usage change ----------------------------------------------------------------------
# Intake clerks register and verify the actual use at the desk or send a surveyor; the
# surveyor reports the findings; an approver approves (with the effective date) or rejects;
# the change read is recorded on the effective date; the intake clerk completes (new tariff
# and category from the effective date, the customer told the new price).

_CHANGE_INTAKE = "applications.intake_usagechange"
_CHANGE_VERIFY = "applications.verify_usagechange"
_CHANGE_SURVEY = "applications.survey_usagechange"
_CHANGE_APPROVE = "applications.approve_usagechange"
_CHANGE_COMPLETE = "applications.complete_usagechange"

USAGE_CHANGE = Workflow(
    kind=ApplicationKind.USAGE_CHANGE,
    transitions=[
        Transition(
            "supply_materials",
            (U.MATERIALS_PENDING,),
            U.REGISTERED,
            _CHANGE_INTAKE,
            _("补齐材料"),
        ),
        Transition(
            "withdraw",
            (U.MATERIALS_PENDING, U.REGISTERED, U.SURVEY_ASSIGNED, U.VERIFIED, U.APPROVED),
            U.WITHDRAWN,
            _CHANGE_INTAKE,
            _("撤回申请"),
        ),
        Transition(
            "verify_at_desk", (U.REGISTERED,), U.VERIFIED, _CHANGE_VERIFY, _("书面核实用途")
        ),
        Transition(
            "assign_survey",
            (U.REGISTERED,),
            U.SURVEY_ASSIGNED,
            _CHANGE_VERIFY,
            _("派发现场核查"),
        ),
        Transition(
            "record_survey",
            (U.SURVEY_ASSIGNED,),
            U.VERIFIED,
            _CHANGE_SURVEY,
            _("提交核查结果"),
        ),
        Transition(
            "verification_reject",
            (U.REGISTERED,),
            U.REJECTED,
            _CHANGE_VERIFY,
            _("核实不通过"),
        ),
        Transition("approve_change", (U.VERIFIED,), U.APPROVED, _CHANGE_APPROVE, _("审批通过")),
        Transition("approval_reject", (U.VERIFIED,), U.REJECTED, _CHANGE_APPROVE, _("审批不通过")),
        Transition("record_read", (U.APPROVED,), U.APPROVED, READ_PERMISSION, _("录入变更读数")),
        Transition("complete", (U.APPROVED,), U.COMPLETED, _CHANGE_COMPLETE, _("办结变更")),
    ],
    terminal=frozenset({U.COMPLETED, U.REJECTED, U.WITHDRAWN}),
)
