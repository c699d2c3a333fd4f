from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "waterdesk.payments"
    label = "payments"
    verbose_name = _("收费与缴费")

    def ready(self) -> None:
        from waterdesk.payments.roles import grant_roles

        grant_roles()
        # A closed account's prepaid balance is asked to be refunded (approved).
        from waterdesk.customers.hooks import account_closed
        from waterdesk.payments.services.refunds import refund_request_on_close

        account_closed.register(refund_request_on_close)
        # The prepaid balance under each account on the customer's page.
        from waterdesk.cases.kinds import AccountSection, account_section_register
        from waterdesk.payments.views.refunds import prepayment_section

        account_section_register(
            AccountSection(
                name="prepayment",
                template="billing/prepayment/account_section.html",
                context=prepayment_section,
            )
        )
        # Registers the tasks that the services enqueue by name.
        from waterdesk.payments import tasks  # noqa: F401
