"""The site's URLs with the emergency desk pages in the workbench's namespace.

The incident kind names ``waterdesk.emergency.urls`` (which includes the planned-outage
pages) for the whole app; where it is not registered yet, this urlconf includes the module
itself, so that the outage pages are tested either way. With the incident kind registered
it is the site's own."""

from django.urls import include, path

from waterdesk.cases.kinds import all_kinds
from waterdesk.config import urls as site
from waterdesk.workbench import urls as workbench

EMERGENCY_PAGES = "waterdesk.emergency.urls"

if any(spec.page_urls == EMERGENCY_PAGES for spec in all_kinds()):
    urlpatterns = list(site.urlpatterns)
else:
    desk = ([*workbench.urlpatterns, path("", include(EMERGENCY_PAGES))], "workbench")
    urlpatterns = [
        path("desk/", include(desk)) if str(pattern.pattern) == "desk/" else pattern
        for pattern in site.urlpatterns
    ]
