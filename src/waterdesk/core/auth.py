"""The permission check every page and API request makes."""

from django.contrib.auth import backends
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackend(backends.ModelBackend):
    """Django's ``ModelBackend``, reading a user's permissions — their own and their
    roles' — in one query instead of two: every API request with a token asks them."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                granted = Permission.objects.all()
            else:
                granted = Permission.objects.filter(Q(group__user=user_obj) | Q(user=user_obj))
            rows = granted.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
