"""The metering pages, registered with the shells: staff pages under /desk/metering/, the
header link "总分表与分摊", the section on each account of the customer page and the
finance report of master/sub differences."""

from django.utils.translation import gettext_lazy as _

from waterdesk.billing.hooks import FinanceReport, finance_report_register
from waterdesk.cases.kinds import (
    AccountSection,
    DeskModule,
    DeskPage,
    account_section_register,
    desk_module_register,
)
from waterdesk.metering.selectors import account_metering_section

METERING = desk_module_register(
    DeskModule(
        name="metering",
        page_urls="waterdesk.metering.urls",
        desk_pages=(
            DeskPage(
                label=_("总分表与分摊"),
                url_name="workbench:metering_arrangements",
                permission="metering.view_arrangement",
            ),
        ),
    )
)

account_section_register(
    AccountSection(
        name="metering",
        template="metering/partials/account_section.html",
        context=account_metering_section,
    )
)

finance_report_register(
    FinanceReport(
        name="metering_differences",
        label=_("总分表差额"),
        url_name="workbench:metering_report",
        permission="metering.view_metering_report",
        description=_("各账期总表水量、分表水量合计、差额、分摊规则及待复核情况，可导出 Excel。"),
    )
)
