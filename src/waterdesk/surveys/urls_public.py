"""The public survey page, included by the portal shell at the site's root in its
``portal`` namespace (``portal:survey``): no ``app_name`` here."""

from django.urls import path

from waterdesk.surveys import views_public

urlpatterns = [
    path("s/<slug:token>/", views_public.survey, name="survey"),
]
