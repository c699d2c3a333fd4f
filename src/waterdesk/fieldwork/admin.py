from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.fieldwork.models import Crew, CrewMember, DutyShift, Vehicle, WorkOrder


class CrewMemberInline(admin.TabularInline):
    model = CrewMember
    extra = 1
    autocomplete_fields = ["user"]


class VehicleInline(admin.TabularInline):
    model = Vehicle
    extra = 0


@admin.register(Crew)
class CrewAdmin(SimpleHistoryAdmin):
    """Crews, their members and vehicles. A crew with orders is retired (not in use), never
    deleted."""

    list_display = ["code", "name", "department", "phone", "is_active"]
    list_filter = ["is_active", "department"]
    search_fields = ["code", "name"]
    inlines = [CrewMemberInline, VehicleInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["plate", "description", "crew", "is_active"]
    list_filter = ["is_active", "crew"]
    search_fields = ["plate"]


@admin.register(DutyShift)
class DutyShiftAdmin(SimpleHistoryAdmin):
    """The on-call roster: which crew takes urgent jobs when."""

    list_display = ["crew", "starts_at", "ends_at", "note"]
    list_filter = ["crew"]
    date_hierarchy = "starts_at"


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Work orders change only through their services (the crews' and dispatchers' pages)."""

    list_display = ["number", "purpose", "crew", "status", "urgent", "assigned_at", "closed_at"]
    list_filter = ["status", "purpose", "urgent", "crew"]
    search_fields = ["number", "case__number", "address"]
    exclude = ["signature"]
