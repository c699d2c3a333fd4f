"""The project's URLs with the emergency pages (``waterdesk.emergency.urls``) routed under
/desk/ in the "workbench" namespace even where no kind's registration routes them yet
(the incident kind names them as its ``page_urls``). Pages tests use it with
``@pytest.mark.urls("tests.emergency_pages_urls")``."""

from django.urls import include, path

from waterdesk.config import urls as project
from waterdesk.workbench import urls as workbench

EMERGENCY_URLS = "waterdesk.emergency.urls"


def _routed(patterns) -> bool:
    return any(
        getattr(getattr(pattern, "urlconf_module", None), "__name__", "") == EMERGENCY_URLS
        for pattern in patterns
    )


_desk = list(workbench.urlpatterns)
if not _routed(_desk):
    _desk.append(path("", include(EMERGENCY_URLS)))

urlpatterns = [
    path("desk/", include((_desk, "workbench"))) if str(pattern.pattern) == "desk/" else pattern
    for pattern in project.urlpatterns
]
handler404 = project.handler404
handler500 = project.handler500
