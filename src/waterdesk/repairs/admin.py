from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.repairs.models import FaultType, FollowUp, Repair, RepairContact, RepairPolicy


@admin.register(FaultType)
class FaultTypeAdmin(SimpleHistoryAdmin):
    """The fault catalogue: default urgency, zone-wide faults, faults that inform the
    water-quality team, faults an incident explains (linked to it, not dispatched). A type
    in use is deactivated, never deleted (its repairs keep it)."""

    list_display = [
        "code",
        "name",
        "default_urgency",
        "zone_wide",
        "informs_quality",
        "explained_by_incident",
        "is_active",
        "position",
    ]
    list_filter = ["is_active", "default_urgency", "zone_wide", "explained_by_incident"]
    list_editable = ["is_active", "position"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RepairPolicy)
class RepairPolicyAdmin(SimpleHistoryAdmin):
    """The repair rules (the latest row counts): contact limit and whether business hours
    apply, duplicate distance and window, follow-up days, repeat-fault days, the low
    satisfaction that refers a follow-up, the department that handles repairs and the
    water-quality department that hears of discoloured water."""

    list_display = [
        "__str__",
        "contact_hours",
        "contact_in_business_hours",
        "duplicate_distance_m",
        "duplicate_window_hours",
        "follow_up_days",
        "repeat_fault_days",
        "low_satisfaction",
        "department",
        "quality_department",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RepairContactInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RepairContact
    fields = ["name", "channel", "reported_at", "address", "recorded_by"]
    readonly_fields = fields
    extra = 0


class FollowUpInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FollowUp
    fields = ["outcome", "satisfaction", "comments", "referred", "called_by", "called_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Repair)
class RepairAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Repairs change only through their services (the pages, the crews' orders)."""

    list_display = ["case", "fault_type", "urgency", "address", "reported_at", "completed_at"]
    list_filter = ["fault_type", "urgency", "failed"]
    search_fields = ["case__number", "address"]
    exclude = ["address_key"]
    inlines = [RepairContactInline, FollowUpInline]
