"""The permission door of an endpoint; the services check again on every write."""

from rest_framework.permissions import BasePermission


class HasRequiredPermissions(BasePermission):
    """The user holds every permission the view lists for the request's method.

    ``required_permissions`` on the view is either a tuple (every method) or a dict
    ``{"GET": (...), "POST": (...)}``; HEAD uses GET's list.
    """

    def has_permission(self, request, view) -> bool:
        required = getattr(view, "required_permissions", ())
        if isinstance(required, dict):
            method = "GET" if request.method == "HEAD" else request.method
            required = required.get(method, ())
        return bool(request.user and request.user.is_authenticated) and request.user.has_perms(
            required
        )
