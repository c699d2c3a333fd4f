from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "waterdesk.fieldwork"
    label = "fieldwork"
    verbose_name = _("外勤工单")

    def ready(self) -> None:
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.fieldwork.workflow import DISPATCH_PERMISSION, WORK_PERMISSION

        # Crew members work the orders of their own crew; dispatchers create, reassign and
        # cancel orders and keep the crews, vehicles and rosters; supervisors watch.
        role_grant(Role.CREW_MEMBER, WORK_PERMISSION, "fieldwork.view_workorder")
        role_grant(
            Role.DISPATCHER,
            DISPATCH_PERMISSION,
            "fieldwork.view_workorder",
            "fieldwork.view_crew",
            "fieldwork.add_crew",
            "fieldwork.change_crew",
            "fieldwork.view_crewmember",
            "fieldwork.add_crewmember",
            "fieldwork.change_crewmember",
            "fieldwork.delete_crewmember",
            "fieldwork.view_vehicle",
            "fieldwork.add_vehicle",
            "fieldwork.change_vehicle",
            "fieldwork.view_dutyshift",
            "fieldwork.add_dutyshift",
            "fieldwork.change_dutyshift",
            "fieldwork.delete_dutyshift",
        )
        role_grant(
            Role.SUPERVISOR,
            "fieldwork.view_workorder",
            "fieldwork.view_crew",
            "fieldwork.view_dutyshift",
        )
        role_grant(
            Role.ADMINISTRATOR,
            "fieldwork.view_crew",
            "fieldwork.add_crew",
            "fieldwork.change_crew",
            "fieldwork.view_crewmember",
            "fieldwork.add_crewmember",
            "fieldwork.change_crewmember",
            "fieldwork.delete_crewmember",
            "fieldwork.view_vehicle",
            "fieldwork.add_vehicle",
            "fieldwork.change_vehicle",
        )
