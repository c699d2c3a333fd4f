"""The remote-read pages under /desk/amr/ and the head-ends' API under /api/amr/,
registered with the shells (``cases.kinds.desk_module_register``)."""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import DeskModule, DeskPage, desk_module_register

AMR = desk_module_register(
    DeskModule(
        name="amr",
        page_urls="waterdesk.amr.urls",
        api_urls="waterdesk.amr.api",
        desk_pages=(
            DeskPage(
                label=_("远传表"),
                url_name="workbench:amr_meters",
                permission="amr.view_remote_meter",
            ),
        ),
    )
)
