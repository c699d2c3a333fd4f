"""The public water-quality pages (no login), included at the site's root by the portal
shell in its ``portal`` namespace (named by the quality desk module's ``public_urls``): the
disclosure page, all or one plant's or supply zone's (``/water-quality/<code>/``), and the
published reports' downloads."""

from django.urls import path

from waterdesk.quality import views_public

urlpatterns = [
    path("water-quality/", views_public.quality_public, name="quality_public"),
    path(
        "water-quality/reports/<int:pk>/<str:fmt>/",
        views_public.quality_public_report,
        name="quality_public_report",
    ),
    path("water-quality/<slug:code>/", views_public.quality_public, name="quality_public"),
]
