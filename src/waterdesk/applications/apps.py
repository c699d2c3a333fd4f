from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "waterdesk.applications"
    label = "applications"
    verbose_name = "业务申请"

    def ready(self) -> None:
        # Registers the workflows of this app's case kinds.
        from waterdesk.applications import workflow  # noqa: F401
