from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "waterdesk.billing"
    label = "billing"
    verbose_name = _("水费账务")

    def ready(self) -> None:
        # Registers the tasks that the services enqueue by name.
        from waterdesk.billing import tasks  # noqa: F401
        from waterdesk.billing.privacy import register_privacy_grants
        from waterdesk.core.roles import Role, role_grant

        register_privacy_grants()
        # Read corrections are corrected by the reading roles (billing.add_meterread) and
        # listed for administrators with the read in the admin.
        role_grant(Role.ADMINISTRATOR, "billing.view_meterreadcorrection")
