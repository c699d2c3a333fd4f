"""Admin screens for customer master data.

Lists show ID numbers and mobiles masked. Edits made here are validated with the same
functions the services use, so the admin cannot store an ID number or mobile the desk
would refuse; day-to-day changes go through the workbench and the services.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.core.errors import InvalidInput
from waterdesk.core.masking import mask_id_number, mask_mobile
from waterdesk.customers.models import (
    Account,
    Customer,
    LookupAlert,
    Meter,
    NoticeChannel,
    PersonalDataAccess,
    PersonalField,
    Premise,
    Route,
    SupplyZone,
)
from waterdesk.customers.privacy import mask
from waterdesk.customers.validation import (
    validate_id_number,
    validate_mobile,
    validate_notice_channels,
    validate_wechat_openid,
)


class NoDeleteAdminMixin:
    """Customers, premises, accounts and meters are referenced by cases, bills and the
    ledger: they are never deleted (an account is closed, a meter removed)."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # also removes the "delete selected" action


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "kind",
            "name",
            "id_number",
            "mobile",
            "email",
            "contact_address",
            "is_vulnerable",
            "sensitive_category",
            "notice_channels",
            "wechat_openid",
        ]

    notice_channels = forms.MultipleChoiceField(
        label=_("通知渠道"),
        choices=NoticeChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("缴费提醒、到账通知等按客户选择的渠道发送。"),
    )

    def clean_notice_channels(self) -> list[str]:
        try:
            return validate_notice_channels(self.cleaned_data.get("notice_channels"))
        except InvalidInput as error:
            raise ValidationError(error.message, code=error.code) from error

    def clean_wechat_openid(self) -> str:
        try:
            return validate_wechat_openid(self.cleaned_data.get("wechat_openid"))
        except InvalidInput as error:
            raise ValidationError(error.message, code=error.code) from error

    def clean_mobile(self) -> str:
        value = self.cleaned_data.get("mobile", "")
        if not value:
            return ""
        try:
            return validate_mobile(value)
        except InvalidInput as error:
            raise ValidationError(error.message, code=error.code) from error

    def clean(self) -> dict:
        cleaned = super().clean()
        kind, id_number = cleaned.get("kind"), cleaned.get("id_number")
        if kind and id_number:
            try:
                cleaned["id_number"] = validate_id_number(kind, id_number)
            except InvalidInput as error:
                self.add_error("id_number", ValidationError(error.message, code=error.code))
        return cleaned


@admin.register(Customer)
class CustomerAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    form = CustomerAdminForm
    list_display = [
        "name",
        "kind",
        "masked_id_number",
        "masked_mobile",
        "is_vulnerable",
        "sensitive_category",
        "created_at",
    ]
    list_filter = ["kind", "is_vulnerable", "sensitive_category"]
    search_fields = ["name", "=id_number", "mobile", "=accounts__number", "contact_address"]
    readonly_fields = ["public_id", "created_at"]
    date_hierarchy = "created_at"

    # Read-only viewers (e.g. system administrators) see the personal fields masked, like
    # everywhere else; only users who may edit customers see and edit the full values.
    _MASKED_READONLY = ["masked_id_number", "masked_mobile", "masked_email", "masked_address"]

    def get_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [
                "public_id",
                "kind",
                "name",
                *self._MASKED_READONLY,
                "is_vulnerable",
                "sensitive_category",
            ]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [
                "public_id",
                "kind",
                "name",
                *self._MASKED_READONLY,
                "is_vulnerable",
                "sensitive_category",
            ]
        return super().get_readonly_fields(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        # Past versions hold the full identifiers: only for users who may edit customers.
        if not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    @admin.display(description=_("证件号码"), ordering="id_number")
    def masked_id_number(self, obj: Customer) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("手机号"), ordering="mobile")
    def masked_mobile(self, obj: Customer) -> str:
        return mask_mobile(obj.mobile)

    @admin.display(description=_("电子邮箱"))
    def masked_email(self, obj: Customer) -> str:
        return mask(PersonalField.EMAIL, obj.email)

    @admin.display(description=_("联系地址"))
    def masked_address(self, obj: Customer) -> str:
        return mask(PersonalField.CONTACT_ADDRESS, obj.contact_address)


@admin.register(SupplyZone)
class SupplyZoneAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Route)
class RouteAdmin(SimpleHistoryAdmin):
    """Reading routes: the zone whose new accounts a route takes, and its reader. Accounts
    are put on routes when they are opened and on the billing office's unrouted list."""

    list_display = ["code", "name", "zone", "reader", "account_count"]
    list_filter = ["zone"]
    list_select_related = ["zone", "reader"]
    search_fields = ["code", "name"]
    raw_id_fields = ["reader"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(accounts_total=Count("accounts"))

    @admin.display(description=_("账户数"), ordering="accounts_total")
    def account_count(self, obj: Route) -> int:
        return obj.accounts_total

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts keep their route: rename it or move them instead


@admin.register(Premise)
class PremiseAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ["address", "district", "street", "zone", "created_at"]
    list_filter = ["zone", "district"]
    list_select_related = ["zone"]
    search_fields = ["address", "street"]
    readonly_fields = ["public_id", "created_at"]


@admin.register(Account)
class AccountAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "number",
        "customer",
        "premise",
        "usage_category",
        "household_size",
        "status",
        "route",
        "opened_at",
    ]
    list_filter = ["status", "usage_category", "premise__zone", "route"]
    list_select_related = ["customer", "premise", "route"]
    search_fields = ["=number", "customer__name", "premise__address"]
    raw_id_fields = ["customer", "premise", "opened_by"]
    # Numbers come from the account-opening service's sequence; they are never typed here.
    readonly_fields = ["public_id", "number", "opened_by"]
    date_hierarchy = "opened_at"

    def has_add_permission(self, request) -> bool:
        return False  # accounts are opened through the services (numbering, history)


@admin.register(Meter)
class MeterAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ["serial", "size_dn", "state", "premise", "account", "installed_at"]
    list_filter = ["state", "size_dn"]
    list_select_related = ["premise", "account"]
    search_fields = ["serial", "premise__address", "=account__number"]
    raw_id_fields = ["premise", "account"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "customer", "case_number", "field", "is_reveal", "reason"]
    list_filter = ["field", "is_reveal", "channel"]
    list_select_related = ["user", "customer"]
    search_fields = ["user__username", "customer__name", "=case_number", "reason"]
    date_hierarchy = "created_at"


@admin.register(LookupAlert)
class LookupAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["hour_start", "user", "lookups", "threshold", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    date_hierarchy = "hour_start"
