from django.contrib import admin

from waterdesk.cases.models import Attachment, Case, CaseEvent
from waterdesk.core.admin_mixins import ReadOnlyAdminMixin


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "action", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: cases change only through their workflow services."""

    list_display = [
        "number",
        "kind",
        "status",
        "priority",
        "customer",
        "assignee",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["kind", "status", "priority", "channel"]
    search_fields = ["number", "contact_name", "contact_phone", "customer__name"]
    date_hierarchy = "opened_at"
    inlines = [CaseEventInline]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read-only evidence: a wrong file is withdrawn on the case page, never deleted."""

    list_display = [
        "original_name",
        "case",
        "material_code",
        "content_type",
        "size",
        "uploaded_at",
        "withdrawn_at",
    ]
    search_fields = ["case__number", "original_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # also removes the "delete selected" action
