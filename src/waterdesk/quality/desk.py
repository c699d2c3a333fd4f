"""The water-quality pages, registered with the shells (``cases.kinds.desk_module_register``):
the lab's pages under /desk/quality/, the public disclosure page at /water-quality/, and the
header links. Samplers land on the day's samples, analysts on the results to enter, the
quality manager on the overview."""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import DeskModule, DeskPage, desk_module_register

QUALITY = desk_module_register(
    DeskModule(
        name="quality",
        page_urls="waterdesk.quality.urls",
        public_urls="waterdesk.quality.urls_public",
        desk_pages=(
            DeskPage(
                label=_("水质总览"),
                url_name="workbench:quality_overview",
                permission="quality.manage_sampling",
                landing=True,
            ),
            DeskPage(
                label=_("采样任务"),
                url_name="workbench:quality_samples",
                permission="quality.take_sample",
                landing=True,
            ),
            DeskPage(
                label=_("化验结果"),
                url_name="workbench:quality_results",
                permission="quality.enter_results",
                landing=True,
            ),
            DeskPage(
                label=_("水质异常"),
                url_name="workbench:quality_anomalies",
                permission="quality.manage_anomaly",
            ),
            DeskPage(
                label=_("水质总览"),
                url_name="workbench:quality_overview",
                permission="quality.view_quality",
            ),
        ),
    )
)
