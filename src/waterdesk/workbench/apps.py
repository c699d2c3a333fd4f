import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "waterdesk.workbench"
    label = "workbench"
    verbose_name = _("工作台")

    def ready(self) -> None:
        # The embedded mode runs the periodic jobs in the web process; the scheduler itself
        # decides whether this process should (a server, with the setting on).
        if importlib.util.find_spec("waterdesk.core.scheduler") is None:
            return
        from waterdesk.core.scheduler import start_inprocess_scheduler

        start_inprocess_scheduler()
