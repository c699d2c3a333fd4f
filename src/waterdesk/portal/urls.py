"""Public pages, without login (namespace "portal")."""

from django.urls import include, path

from waterdesk.cases.kinds import url_modules
from waterdesk.portal import pay, views

app_name = "portal"


def _kind_public_pages() -> list:
    """Each registered kind's public pages (a web form, a status look-up), at the root."""
    return [path("", include(module)) for module in url_modules("public_urls")]


urlpatterns = [
    path("lookup/", views.lookup, name="lookup"),
    path("pay/<uuid:account>/", pay.pay, name="pay"),
    path("pay/sandbox/<uuid:order>/", pay.sandbox_pay, name="sandbox_pay"),
    path("pay/orders/<uuid:order>/", pay.pay_done, name="pay_done"),
    *_kind_public_pages(),
]
