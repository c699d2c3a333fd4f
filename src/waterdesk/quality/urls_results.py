"""Filled by its feature."""

urlpatterns: list = []
