"""The workflow of an inquiry (业务咨询): every status, every move, and who may make it.

An inquiry answered at intake is opened and answered in one transaction, so every inquiry
passes through "awaiting_answer". From there it is answered (by the intake clerk or the
category's department), withdrawn (the customer no longer needs it), or converted (转办):
a case of another kind was opened from it (an application, later a repair or complaint).
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.inquiries.models import InquiryStatus as S

KIND = "inquiry"
INTAKE_PERMISSION = "inquiries.intake_inquiry"
ANSWER_PERMISSION = "inquiries.answer_inquiry"
# Converting is part of opening the other case: whoever may open a case (``case_open``
# requires this permission) may close the inquiry it came from.
CONVERT_PERMISSION = "cases.register_case"

INQUIRY = Workflow(
    kind=KIND,
    transitions=[
        Transition("answer", (S.AWAITING_ANSWER,), S.ANSWERED, ANSWER_PERMISSION, _("答复")),
        Transition("withdraw", (S.AWAITING_ANSWER,), S.WITHDRAWN, INTAKE_PERMISSION, _("撤销咨询")),
        # Made by the follow-up hook while another case is opened; never a button.
        Transition("convert", (S.AWAITING_ANSWER,), S.CONVERTED, CONVERT_PERMISSION, _("转办")),
    ],
    terminal=frozenset({S.ANSWERED, S.CONVERTED, S.WITHDRAWN}),
)
