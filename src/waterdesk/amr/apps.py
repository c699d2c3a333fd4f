from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AmrConfig(AppConfig):
    name = "waterdesk.amr"
    label = "amr"
    verbose_name = _("远传抄表")

    def ready(self) -> None:
        pass
