from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "waterdesk.billing"
    label = "billing"
    verbose_name = _("水费账务")

    def ready(self) -> None:
        from waterdesk.billing.privacy import register_privacy_grants

        register_privacy_grants()
