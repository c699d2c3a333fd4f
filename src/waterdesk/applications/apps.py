from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "waterdesk.applications"
    label = "applications"
    verbose_name = _("业务申请")

    def ready(self) -> None:
        # Registers the workflows of this app's case kinds.
        from waterdesk.applications import workflow  # noqa: F401
