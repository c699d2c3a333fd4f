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
        # Prepayment (预存): new bills are settled from the balance as they are issued; the
        # billing office keeps the policy and closes accounts (a balance left on a closed
        # account is asked to be refunded, see payments); the balances report is the
        # finance office's.
        from waterdesk.billing.hooks import FinanceReport, bills_issued, finance_report_register
        from waterdesk.billing.services.prepayment import prepaid_settle_issued

        bills_issued.register(prepaid_settle_issued)
        role_grant(
            Role.BILLING_CLERK,
            "billing.view_prepaymentpolicy",
            "billing.change_prepaymentpolicy",
            "customers.change_account",
        )
        for role in (Role.FINANCE, Role.BILLING_CLERK, Role.SUPERVISOR):
            role_grant(role, "billing.view_prepayment_report")
        finance_report_register(
            FinanceReport(
                name="prepayment_balances",
                label=_("预存余额表"),
                url_name="billing:prepayment_report",
                permission="billing.view_prepayment_report",
                description=_(
                    "持有预存余额的账户、余额、最近抵扣与低于提醒线的账户，可导出 Excel。"
                ),
            )
        )
