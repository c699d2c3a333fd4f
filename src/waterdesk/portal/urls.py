"""Public pages, without login (namespace "portal")."""

from django.urls import path

from waterdesk.portal import views

app_name = "portal"
urlpatterns = [
    path("lookup/", views.lookup, name="lookup"),
]
