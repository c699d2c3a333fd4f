"""The site's URLs with the emergency public pages in the portal namespace, whether or not
the incident kind — which names them in its ``public_urls`` — is registered in this tree.
Once it is, these are exactly the site's URLs."""

from django.urls import URLResolver, include, path

from waterdesk.cases.kinds import all_kinds
from waterdesk.config import urls as site
from waterdesk.portal import urls as portal

PUBLIC_URLS = "waterdesk.emergency.urls_public"


def _patterns() -> list:
    if any(spec.public_urls == PUBLIC_URLS for spec in all_kinds()):
        return list(site.urlpatterns)
    portal_patterns = [*portal.urlpatterns, path("", include(PUBLIC_URLS))]
    return [
        path("", include((portal_patterns, "portal")))
        if isinstance(pattern, URLResolver) and pattern.urlconf_name is portal
        else pattern
        for pattern in site.urlpatterns
    ]


urlpatterns = _patterns()
handler404 = site.handler404
handler500 = site.handler500
