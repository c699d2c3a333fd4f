"""The complaints app's public pages (no login), included at the site's root by the portal
shell in its ``portal`` namespace (named by the praise kind's ``public_urls``)."""

from django.urls import path

from waterdesk.complaints import public_views

urlpatterns = [
    path("complaints/new/", public_views.complaint_new, name="complaint_new"),
]
