from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "waterdesk.repairs"
    label = "repairs"
    verbose_name = _("报修")

    def ready(self) -> None:
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.repairs.workflow import (
            DISPATCH_PERMISSION,
            FOLLOW_UP_PERMISSION,
            INTAKE_PERMISSION,
        )

        # The hotline takes reports at any hour and makes the follow-up calls; dispatchers
        # send crews; the counter takes reports too. Supervisors see every case already.
        role_grant(
            Role.HOTLINE_AGENT, "cases.register_case", INTAKE_PERMISSION, FOLLOW_UP_PERMISSION
        )
        role_grant(Role.DISPATCHER, "cases.register_case", INTAKE_PERMISSION, DISPATCH_PERMISSION)
        role_grant(Role.INTAKE_CLERK, INTAKE_PERMISSION)
        role_grant(
            Role.ADMINISTRATOR,
            "repairs.view_faulttype",
            "repairs.add_faulttype",
            "repairs.change_faulttype",
            "repairs.view_repairpolicy",
            "repairs.add_repairpolicy",
            "repairs.change_repairpolicy",
        )
