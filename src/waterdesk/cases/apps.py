from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "waterdesk.cases"
    label = "cases"
    verbose_name = _("工单")

    def ready(self) -> None:
        from waterdesk.cases.access import register_privacy_grants

        register_privacy_grants()
