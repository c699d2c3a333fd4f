"""The invoicing pages, registered with the shells (``cases.kinds.desk_module_register``):
the invoices, the reconciliation list and the tax items under /desk/invoices/, the finance
index under /desk/finance/, and the sandbox platform's invoice PDFs at /e-invoices/ (no
login: the link the customer is sent; an opaque token)."""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import DeskModule, DeskPage, desk_module_register

INVOICING = desk_module_register(
    DeskModule(
        name="invoicing",
        page_urls="waterdesk.invoicing.urls",
        public_urls="waterdesk.invoicing.urls_public",
        desk_pages=(
            DeskPage(
                label=_("发票管理"),
                url_name="workbench:invoices",
                permission="invoicing.view_invoice",
            ),
            DeskPage(
                label=_("财务报表"),
                url_name="workbench:finance_index",
                permission="invoicing.view_finance_reports",
            ),
        ),
    )
)
