from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.payments.models import CashierPost, Office, PaymentNoticePolicy, Refund


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "address", "is_active"]
    search_fields = ["code", "name"]


@admin.register(CashierPost)
class CashierPostAdmin(admin.ModelAdmin):
    list_display = ["user", "office"]
    list_select_related = ["user", "office"]
    autocomplete_fields = ["user"]


# --- notices ---


@admin.register(PaymentNoticePolicy)
class PaymentNoticePolicyAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "enabled", "days_before_due"]

    def has_add_permission(self, request) -> bool:
        return not PaymentNoticePolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refunds are asked for and decided on the staff pages (/payments/refunds/)."""

    list_display = ["account", "amount", "method", "status", "requested_at", "decided_at"]
    list_filter = ["status", "method"]
    list_select_related = ["account"]
    search_fields = ["=account__number"]
