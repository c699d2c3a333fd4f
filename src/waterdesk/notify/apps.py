from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "waterdesk.notify"
    label = "notify"
    verbose_name = _("通知")

    def ready(self) -> None:
        # Registers the tasks that the services enqueue by name.
        from waterdesk.core.memo import memo_forget_on_change
        from waterdesk.notify import tasks  # noqa: F401
        from waterdesk.notify.models import NotificationTemplate
        from waterdesk.notify.services import TEMPLATES_MEMO

        memo_forget_on_change(NotificationTemplate, TEMPLATES_MEMO)
