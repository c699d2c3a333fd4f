from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "waterdesk.emergency"
    label = "emergency"
    verbose_name = _("应急管理")

    def ready(self) -> None:
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.emergency import (
            kinds,  # noqa: F401  registers the incident kind
            roles,
        )

        role_grant(Role.EMERGENCY_OFFICE, *roles.EMERGENCY_OFFICE)
        role_grant(Role.DUTY_MANAGER, *roles.DUTY_MANAGER)
        role_grant(Role.SUPERVISOR, *roles.SUPERVISOR)
        role_grant(Role.HOTLINE_AGENT, *roles.HOTLINE)
        role_grant(Role.DISPATCHER, *roles.DISPATCHER)
        role_grant(Role.ADMINISTRATOR, *roles.ADMINISTRATOR)
        from waterdesk.emergency import (
            banners,  # noqa: F401  the banner on a customer's page
            outage_kind,  # noqa: F401  the planned outages
        )
