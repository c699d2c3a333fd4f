"""The workflow of a praise (表扬): every status, every move, and who may make it.

registered --acknowledge--> acknowledged   (passed to the praised department, the
                                            customer thanked by SMS or e-mail)
registered --withdraw--> withdrawn         (recorded in error)
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.complaints.models import PraiseStatus as S

KIND = "praise"
INTAKE_PERMISSION = "complaints.intake_praise"
ACKNOWLEDGE_PERMISSION = "complaints.acknowledge_praise"
ACKNOWLEDGE_MILESTONE = "acknowledge"

PRAISE = Workflow(
    kind=KIND,
    transitions=[
        Transition(
            "acknowledge",
            (S.REGISTERED,),
            S.ACKNOWLEDGED,
            ACKNOWLEDGE_PERMISSION,
            _("转达并致谢"),
        ),
        Transition("withdraw", (S.REGISTERED,), S.WITHDRAWN, ACKNOWLEDGE_PERMISSION, _("撤销")),
    ],
    terminal=frozenset({S.ACKNOWLEDGED, S.WITHDRAWN}),
)
