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

        register_privacy_grants()
