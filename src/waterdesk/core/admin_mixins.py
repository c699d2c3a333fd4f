"""Admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """Records written only by services (events, clocks, logs): searchable in the admin,
    never added, changed or deleted there (which also removes "delete selected")."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
