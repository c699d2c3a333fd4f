from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeteringConfig(AppConfig):
    name = "waterdesk.metering"
    label = "metering"
    verbose_name = _("计量与分摊")

    def ready(self) -> None:
        from waterdesk.billing.hooks import bill_run_preparing
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.metering import (
            desk,  # noqa: F401  registers the pages, the account section and the report
            roles,
        )
        from waterdesk.metering.services.allocations import allocations_prepare_run

        bill_run_preparing.register(allocations_prepare_run)
        role_grant(Role.BILLING_CLERK, *roles.BILLING_CLERK)
        role_grant(Role.SUPERVISOR, *roles.VIEWER)
        role_grant(Role.FINANCE, *roles.VIEWER)
