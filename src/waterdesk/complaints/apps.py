from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "waterdesk.complaints"
    label = "complaints"
    verbose_name = _("投诉举报")

    def ready(self) -> None:
        from waterdesk.complaints import (
            kinds,  # noqa: F401  registers the kinds
            praise_kind,  # noqa: F401  registers praise
        )
        from waterdesk.complaints.praise_workflow import (
            ACKNOWLEDGE_PERMISSION as PRAISE_ACKNOWLEDGE,
        )
        from waterdesk.complaints.praise_workflow import INTAKE_PERMISSION as PRAISE_INTAKE
        from waterdesk.complaints.workflow import (
            HANDLE_PERMISSION,
            INTAKE_PERMISSION,
            RESPOND_PERMISSION,
            SUPERVISE_PERMISSION,
        )
        from waterdesk.core.roles import Role, role_grant

        # Praise: recorded by whoever takes complaints, passed on and thanked by the
        # complaint handler or a supervisor. The 12345 platform's permission
        # (complaints.transfer_city_hotline) is no role's: only its machine user holds it.
        role_grant(Role.INTAKE_CLERK, PRAISE_INTAKE)
        role_grant(Role.HOTLINE_AGENT, PRAISE_INTAKE)
        role_grant(Role.COMPLAINT_HANDLER, PRAISE_INTAKE, PRAISE_ACKNOWLEDGE)
        role_grant(Role.SUPERVISOR, PRAISE_ACKNOWLEDGE)

        reading = [
            "customers.view_customer",
            "customers.view_premise",
            "customers.view_account",
            "cases.add_attachment",
        ]
        # Complaints come in at the counter and on the hotline; the complaint handler runs
        # them (acknowledge, reply, follow-up, close); the responsible department's
        # responder investigates and carries out the measures; supervisors oversee all.
        role_grant(Role.INTAKE_CLERK, INTAKE_PERMISSION)
        role_grant(Role.HOTLINE_AGENT, INTAKE_PERMISSION)
        role_grant(
            Role.COMPLAINT_HANDLER,
            *reading,
            "cases.register_case",
            "customers.reveal_personal_data",
            INTAKE_PERMISSION,
            HANDLE_PERMISSION,
            RESPOND_PERMISSION,
        )
        role_grant(Role.DEPARTMENT_RESPONDER, *reading, RESPOND_PERMISSION)
        role_grant(
            Role.SUPERVISOR,
            SUPERVISE_PERMISSION,
            HANDLE_PERMISSION,
            "complaints.view_complaintcategory",
            "complaints.view_complaintpolicy",
        )
        role_grant(
            Role.ADMINISTRATOR,
            *[
                f"complaints.{action}_{model}"
                for model in ("complaintcategory", "complaintpolicy")
                for action in ("view", "add", "change")
            ],
        )
        from waterdesk.complaints import report_kind  # noqa: F401  the whistleblower reports
