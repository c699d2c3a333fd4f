from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "waterdesk.payments"
    label = "payments"
    verbose_name = _("收费与缴费")

    def ready(self) -> None:
        from waterdesk.payments.roles import grant_roles

        grant_roles()
        # Registers the tasks that the services enqueue by name.
        from waterdesk.payments import tasks  # noqa: F401
