from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeteringConfig(AppConfig):
    name = "waterdesk.metering"
    label = "metering"
    verbose_name = _("计量与分摊")

    def ready(self) -> None:
        pass
