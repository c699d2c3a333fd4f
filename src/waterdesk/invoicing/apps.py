from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "waterdesk.invoicing"
    label = "invoicing"
    verbose_name = _("发票管理")

    def ready(self) -> None:
        pass
