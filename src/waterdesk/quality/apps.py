from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "waterdesk.quality"
    label = "quality"
    verbose_name = _("水质管理")

    def ready(self) -> None:
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.quality import (
            desk,  # noqa: F401  registers the pages with the shells
            roles,
        )

        role_grant(Role.SAMPLER, *roles.SAMPLER)
        role_grant(Role.LAB_ANALYST, *roles.LAB_ANALYST)
        role_grant(Role.QUALITY_MANAGER, *roles.QUALITY_MANAGER)
        role_grant(Role.EMERGENCY_OFFICE, *roles.EMERGENCY)
        role_grant(Role.DUTY_MANAGER, *roles.EMERGENCY)
        role_grant(Role.SUPERVISOR, *roles.SUPERVISOR)
        role_grant(Role.ADMINISTRATOR, *roles.ADMINISTRATOR)
        from waterdesk.quality import banners  # noqa: F401  the customer page's zone results
        from waterdesk.quality.hooks import sample_confirmed_listener_register
        from waterdesk.quality.services import anomalies  # noqa: F401  the listener
        from waterdesk.quality.services.reports import disclosure_on_confirm

        sample_confirmed_listener_register(disclosure_on_confirm)
        from waterdesk.quality import overview_panels  # noqa: F401  the overview's blocks
