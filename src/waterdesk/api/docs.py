"""The API's Swagger UI, under the site's Content-Security-Policy.

The split view loads its start-up script from a URL instead of an inline ``<script>``;
Swagger UI's page keeps one inline ``<style>`` block, so this view alone allows inline
styles. Without a login (and unless ``WATERDESK_API_DOCS_PUBLIC``) the page sends the
browser to the login page.
"""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions


@method_decorator(csp_update({"style-src": [UNSAFE_INLINE]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated) and "script" not in self.request.GET:
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
