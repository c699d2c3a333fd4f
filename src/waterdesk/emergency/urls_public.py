"""The emergency public pages (no login), included at the site's root by the portal shell
in its ``portal`` namespace (named by the incident kind's ``public_urls``): the current
incidents and planned outages, all or one district's (``/outages/城东区/``, or
``/outages/?district=城东区`` from the page's filter)."""

from django.urls import path

from waterdesk.emergency import views_public

urlpatterns = [
    path("outages/", views_public.outages_public, name="outages_public"),
    path("outages/<str:district>/", views_public.outages_public, name="outages_public"),
]
