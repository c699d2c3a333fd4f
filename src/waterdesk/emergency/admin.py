"""Admin of emergencies: the plans and their versions (a draft's contents editable, a
published or superseded version read-only: it is what incidents and drills ran on), the
duty manager roster and the outage rules (with history); incidents, planned outages,
notice rounds, drills and measures read-only (the services write them)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.emergency.models import (
    Drill,
    DrillTiming,
    DutyShift,
    EmergencyPlan,
    Incident,
    IncidentTask,
    Measure,
    NoticeRound,
    OutagePolicy,
    PlanContact,
    PlanLevel,
    PlannedOutage,
    PlanResource,
    PlanStep,
    PlanVersion,
    PlanVersionStatus,
)


class _DraftOnlyInline(admin.TabularInline):
    """Rows of a plan version: changed only while the version is a draft."""

    extra = 0

    def _is_draft(self, obj) -> bool:
        return obj is not None and obj.status == PlanVersionStatus.DRAFT

    def has_add_permission(self, request, obj=None) -> bool:
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._is_draft(obj) and super().has_delete_permission(request, obj)


class PlanLevelInline(_DraftOnlyInline):
    model = PlanLevel
    fields = [
        "level",
        "trigger_customers",
        "trigger_hours",
        "trigger_quality_failure",
        "trigger_note",
        "response_minutes",
    ]


class PlanContactInline(_DraftOnlyInline):
    model = PlanContact
    fields = ["level", "target", "role", "user", "duty"]
    raw_id_fields = ["user"]


class PlanStepInline(_DraftOnlyInline):
    model = PlanStep
    fields = ["position", "title", "level", "owner_role", "target_minutes"]


class PlanResourceInline(_DraftOnlyInline):
    model = PlanResource
    fields = ["kind", "description", "quantity", "unit", "location", "contact"]


class PlanVersionInline(admin.TabularInline):
    model = PlanVersion
    extra = 0
    fields = ["number", "status", "change_note", "created_at", "published_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "incident_type", "is_active"]
    list_filter = ["incident_type", "is_active"]
    search_fields = ["name", "code"]
    inlines = [PlanVersionInline]

    def get_readonly_fields(self, request, obj=None):
        # The code is how the plan is known: fixed once it exists.
        return ["code", "created_at"] if obj is not None else ["created_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    """Versions are started and published on the plan pages (``services.plans``); here a
    draft's rows may be corrected, nothing else."""

    list_display = ["plan", "number", "status", "published_at", "change_note"]
    list_filter = ["status", "plan__incident_type"]
    search_fields = ["plan__name", "plan__code", "change_note"]
    fields = [
        "plan",
        "number",
        "status",
        "change_note",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    ]
    readonly_fields = fields
    inlines = [PlanLevelInline, PlanContactInline, PlanStepInline, PlanResourceInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    """The emergency duty roster: the duty manager (值班主任) on duty when."""

    list_display = ["user", "starts_at", "ends_at"]
    list_filter = ["starts_at"]
    date_hierarchy = "starts_at"
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]


@admin.register(OutagePolicy)
class OutagePolicyAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "notice_hours", "reminder_hours"]

    def has_add_permission(self, request) -> bool:
        return not OutagePolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- written by the services: read-only -----------------------------------------------------


class IncidentTaskInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = IncidentTask
    fields = ["position", "title", "owner_role", "owner", "due_at", "done_at", "done_by"]
    readonly_fields = fields


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "case",
        "incident_type",
        "level",
        "source",
        "activated_at",
        "restored_at",
    ]
    list_filter = ["incident_type", "level", "source"]
    search_fields = ["title", "case__number", "source_reference"]
    inlines = [IncidentTaskInline]


@admin.register(PlannedOutage)
class PlannedOutageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["works", "case", "starts_at", "ends_at", "announced_at", "restored_at"]
    search_fields = ["works", "case__number"]
    date_hierarchy = "starts_at"


@admin.register(NoticeRound)
class NoticeRoundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "case", "number", "kind", "customers", "messages", "queued_at"]
    list_filter = ["kind"]
    search_fields = ["case__number"]


class DrillTimingInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DrillTiming
    fields = ["label", "target_minutes", "observed_minutes", "note"]
    readonly_fields = fields


class MeasureInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Measure
    fk_name = "drill"
    fields = ["description", "owner", "deadline", "done_at", "done_note"]
    readonly_fields = fields


@admin.register(Drill)
class DrillAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "level", "scheduled_for", "status", "held_at"]
    list_filter = ["status", "level"]
    date_hierarchy = "scheduled_for"
    inlines = [DrillTimingInline, MeasureInline]


@admin.register(Measure)
class MeasureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["description", "owner", "deadline", "done_at", "source"]
    list_filter = ["deadline"]
    search_fields = ["description"]

    @admin.display(description=_("来源"))
    def source(self, obj) -> str:
        return str(obj.drill or obj.review)
