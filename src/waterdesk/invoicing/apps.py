from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "waterdesk.invoicing"
    label = "invoicing"
    verbose_name = _("发票管理")

    def ready(self) -> None:
        from waterdesk.billing.hooks import FinanceReport, bill_credited, finance_report_register
        from waterdesk.cases.kinds import AccountSection, account_section_register
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.invoicing import (
            desk,  # noqa: F401  registers the pages with the shells
            roles,
            sections,
            tasks,  # noqa: F401  the task names
        )
        from waterdesk.invoicing.services import invoices
        from waterdesk.payments.hooks import payment_cancelled, payment_posted

        role_grant(Role.FINANCE, *roles.FINANCE)
        role_grant(Role.BILLING_CLERK, *roles.BILLING_CLERK)
        role_grant(Role.CASHIER, *roles.CASHIER)
        role_grant(Role.SUPERVISOR, *roles.SUPERVISOR)
        payment_posted.register(invoices.on_payment_posted)
        payment_cancelled.register(invoices.on_payment_cancelled)
        bill_credited.register(invoices.on_bill_credited)
        account_section_register(
            AccountSection(
                name="invoicing",
                template="invoicing/partials/account_section.html",
                context=sections.account_invoice_section,
            )
        )
        finance_report_register(
            FinanceReport(
                name="invoices",
                label=_("发票开具与冲红统计"),
                url_name="workbench:invoicing_report",
                permission="invoicing.view_finance_reports",
                description=_(
                    "按日、按税目统计开具和冲红的发票：价税合计、不含税金额、税额，可导出 Excel。"
                ),
            )
        )
