from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.inquiries.models import Inquiry, InquiryCategory


@admin.register(InquiryCategory)
class InquiryCategoryAdmin(SimpleHistoryAdmin):
    """Which department answers each kind of question, and within how many working days.
    A category in use is deactivated, never deleted (its inquiries keep it)."""

    list_display = ["code", "name", "department", "reply_days", "is_active", "position"]
    list_filter = ["is_active", "department"]
    list_editable = ["is_active", "position"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Inquiry)
class InquiryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Inquiries change only through their services (the case pages)."""

    list_display = ["case", "category", "answer_channel", "answered_by", "answered_at"]
    list_filter = ["category", "answer_channel"]
    search_fields = ["case__number"]
