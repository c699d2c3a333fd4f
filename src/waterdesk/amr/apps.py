from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AmrConfig(AppConfig):
    name = "waterdesk.amr"
    label = "amr"
    verbose_name = _("远传抄表")

    def ready(self) -> None:
        from waterdesk.amr import (
            desk,  # noqa: F401  registers the pages and the API with the shells
            roles,
            sections,  # noqa: F401  the customer page's account section
        )
        from waterdesk.amr.services import ladder  # noqa: F401  the collection ladder's valve
        from waterdesk.core.roles import Role, role_grant

        role_grant(Role.METER_READER, *roles.READING)
        role_grant(Role.BILLING_CLERK, *roles.READING)
        role_grant(Role.COLLECTOR, *roles.COLLECTOR)
        role_grant(Role.COLLECTION_SUPERVISOR, *roles.COLLECTION_SUPERVISOR)
        role_grant(Role.SUPERVISOR, *roles.VIEW)
        role_grant(Role.ADMINISTRATOR, *roles.ADMINISTRATOR)
