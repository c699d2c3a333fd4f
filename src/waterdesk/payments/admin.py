from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.payments.models import (
    CashierPost,
    Office,
    PaymentDevice,
    PaymentNoticePolicy,
    Refund,
)
from waterdesk.payments.services.devices import device_create, device_revoke, device_token_issue


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "address", "is_active"]
    search_fields = ["code", "name"]


@admin.register(CashierPost)
class CashierPostAdmin(admin.ModelAdmin):
    list_display = ["user", "office"]
    list_select_related = ["user", "office"]
    autocomplete_fields = ["user"]


# --- bank and devices ---


class PaymentDeviceForm(forms.ModelForm):
    class Meta:
        model = PaymentDevice
        fields = ["code", "name", "kind", "office", "is_active"]


@admin.register(PaymentDevice)
class PaymentDeviceAdmin(admin.ModelAdmin):
    """Register a kiosk or partner agent: saving a new one creates its machine user and
    token and shows the token once. "Revoke" deactivates the device and deletes its token;
    "Issue a new token" replaces the token (shown once)."""

    form = PaymentDeviceForm
    list_display = ["code", "name", "kind", "office", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    actions = ["revoke", "issue_token"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        device, key = device_create(
            actor=request.user,
            code=obj.code,
            name=obj.name,
            kind=obj.kind,
            office=obj.office,
        )
        obj.pk, obj.user_id = device.pk, device.user_id
        messages.warning(
            request,
            _("终端 %(code)s 的令牌（只显示这一次，请立即配置到终端）：%(key)s")
            % {"code": device.code, "key": key},
        )

    @admin.action(description=_("吊销（停用并删除令牌）"), permissions=["change"])
    def revoke(self, request, queryset):
        for device in queryset:
            device_revoke(actor=request.user, device=device)
        messages.success(request, _("已吊销 %(count)s 台终端。") % {"count": queryset.count()})

    @admin.action(description=_("重新签发令牌"), permissions=["change"])
    def issue_token(self, request, queryset):
        for device in queryset.filter(is_active=True):
            key = device_token_issue(actor=request.user, device=device)
            messages.warning(
                request,
                _("终端 %(code)s 的新令牌（只显示这一次）：%(key)s")
                % {"code": device.code, "key": key},
            )


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
