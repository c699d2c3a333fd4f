from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.surveys.models import Survey, SurveyCampaign, SurveyPolicy


@admin.register(SurveyPolicy)
class SurveyPolicyAdmin(SimpleHistoryAdmin):
    """Which closed cases of each kind get a survey (administrators and supervisors edit;
    every change is kept in the history). A policy is disabled, never deleted."""

    list_display = [
        "case_kind",
        "is_enabled",
        "sample_percent",
        "counted_statuses",
        "valid_days",
        "low_score",
    ]
    list_editable = ["is_enabled", "sample_percent"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SurveyCampaign)
class SurveyCampaignAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Campaigns are run by the monthly job or ``manage.py surveys_sample``."""

    list_display = ["created_at", "period", "sample_size", "sent_count", "created_by"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Surveys change only through their services (the public page)."""

    list_display = ["public_id", "case", "case_kind", "department", "sent_at", "score"]
    list_filter = ["case_kind", "department", "score"]
    search_fields = ["case__number"]
    exclude = ["token_hash"]
