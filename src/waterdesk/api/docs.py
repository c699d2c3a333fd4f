"""The API's schema and Swagger UI: behind login, and under the Content-Security-Policy.

The split view loads its start-up script from a URL instead of an inline ``<script>``;
Swagger UI's page keeps one inline ``<style>`` block, so this view alone allows inline
styles. Without a login (and unless ``WATERDESK_API_DOCS_PUBLIC``) the page sends the
browser to the login page.
"""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI document; its errors (401 without a login) are JSON like every API
    error, whatever format the document was asked in."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


@method_decorator(csp_update({"style-src": [UNSAFE_INLINE]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated) and "script" not in self.request.GET:
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
