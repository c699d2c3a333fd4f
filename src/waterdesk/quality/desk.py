"""The water-quality pages, registered with the shells (``cases.kinds.desk_module_register``):
the lab's pages under /desk/quality/, the public disclosure page at /water-quality/, and the
header links. Samplers land on the day's samples, analysts on the results to enter, the
quality manager on the overview."""


from waterdesk.cases.kinds import DeskModule, desk_module_register

QUALITY = desk_module_register(
    DeskModule(
        name="quality",
        page_urls="waterdesk.quality.urls",
        public_urls="waterdesk.quality.urls_public",
        # The header pages are added with the pages themselves.
    )
)
