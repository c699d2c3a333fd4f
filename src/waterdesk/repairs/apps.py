from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "waterdesk.repairs"
    label = "repairs"
    verbose_name = _("报修")

    def ready(self) -> None:
        from waterdesk.core.memo import memo_forget_on_change
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.emergency.hooks import incident_restored_listener_register
        from waterdesk.repairs import kinds  # noqa: F401  registers the repair kind and purpose
        from waterdesk.repairs.models import RepairPolicy
        from waterdesk.repairs.selectors.policy import POLICY_MEMO
        from waterdesk.repairs.services.incident import repairs_close_on_restoration
        from waterdesk.repairs.workflow import (
            DISPATCH_PERMISSION,
            FOLLOW_UP_PERMISSION,
            INTAKE_PERMISSION,
        )

        memo_forget_on_change(RepairPolicy, POLICY_MEMO)
        # The incident's restoration closes the repairs linked to it (emergency knows no
        # repairs: it calls what is registered).
        incident_restored_listener_register(repairs_close_on_restoration)
        # The hotline takes reports at any hour and makes the follow-up calls; dispatchers
        # send crews; the counter takes reports too. Supervisors see every case already.
        role_grant(
            Role.HOTLINE_AGENT, "cases.register_case", INTAKE_PERMISSION, FOLLOW_UP_PERMISSION
        )
        role_grant(Role.DISPATCHER, "cases.register_case", INTAKE_PERMISSION, DISPATCH_PERMISSION)
        role_grant(Role.INTAKE_CLERK, INTAKE_PERMISSION)
        # A caller is found among the customers (the intake page's customer search), the
        # fault placed at an account's premise.
        for role in (Role.HOTLINE_AGENT, Role.DISPATCHER):
            role_grant(
                role, "customers.view_customer", "customers.view_premise", "customers.view_account"
            )
        role_grant(
            Role.ADMINISTRATOR,
            "repairs.view_faulttype",
            "repairs.add_faulttype",
            "repairs.change_faulttype",
            "repairs.view_repairpolicy",
            "repairs.add_repairpolicy",
            "repairs.change_repairpolicy",
        )
