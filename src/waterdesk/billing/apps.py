from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "waterdesk.billing"
    label = "billing"
    verbose_name = _("水费账务")

    def ready(self) -> None:
        # Registers the tasks that the services enqueue by name.
        from waterdesk.billing import tasks  # noqa: F401
        from waterdesk.billing.privacy import register_privacy_grants
        from waterdesk.core.roles import Role, role_grant

        register_privacy_grants()
        # Read corrections are corrected by the reading roles (billing.add_meterread) and
        # listed for administrators with the read in the admin.
        role_grant(Role.ADMINISTRATOR, "billing.view_meterreadcorrection")
        # Late fees: the billing office keeps the policy and sees disputes and waivers; a
        # waiver asked for by a clerk is approved by a service supervisor (another person).
        role_grant(
            Role.BILLING_CLERK,
            "billing.view_latefeepolicy",
            "billing.change_latefeepolicy",
            "billing.add_latefeepolicy",
            "billing.view_latefeerun",
            "billing.view_billdispute",
            "billing.view_latefeewaiver",
        )
        role_grant(Role.SUPERVISOR, "billing.approve_late_fee_waiver")
