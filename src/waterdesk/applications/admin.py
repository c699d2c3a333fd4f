from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.applications.models import (
    FeeItem,
    MaterialRequirement,
    MaterialType,
    NewConnection,
    NewConnectionPolicy,
    OwnershipTransfer,
    TransferPolicy,
    UsageChange,
)
from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.core.money import MoneyFormField


@admin.register(MaterialType)
class MaterialTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "description"]


@admin.register(MaterialRequirement)
class MaterialRequirementAdmin(SimpleHistoryAdmin):
    list_display = ["case_kind", "material", "customer_kind", "alternative_group", "position"]
    list_filter = ["case_kind", "customer_kind"]


class FeeItemForm(forms.ModelForm):
    unit_price = MoneyFormField(label=_("单价（元）"))

    class Meta:
        model = FeeItem
        fields = ["code", "name", "kind", "unit", "unit_price", "is_active"]


@admin.register(FeeItem)
class FeeItemAdmin(SimpleHistoryAdmin):
    form = FeeItemForm
    list_display = ["code", "name", "kind", "unit", "unit_price", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(NewConnectionPolicy)
class NewConnectionPolicyAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "collective_review_threshold",
        "materials_wait_days",
        "payment_due_days",
    ]

    def has_add_permission(self, request) -> bool:
        return not NewConnectionPolicy.objects.exists()


@admin.register(NewConnection)
class NewConnectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "case",
        "requested_usage",
        "surveyor",
        "fee_total",
        "paid_amount",
        "water_on_at",
    ]
    search_fields = ["case__number"]


@admin.register(TransferPolicy)
class TransferPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "require_settlement"]

    def has_add_permission(self, request) -> bool:
        return not TransferPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _ReadOnlyCaseDetailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Case details change only through the workflow services (the case pages)."""

    search_fields = ["case__number", "account__number"]


@admin.register(OwnershipTransfer)
class OwnershipTransferAdmin(_ReadOnlyCaseDetailAdmin):
    list_display = [
        "case",
        "account",
        "previous_customer",
        "new_customer",
        "final_bill",
        "settlement",
        "completed_at",
    ]
    list_filter = ["settlement"]


@admin.register(UsageChange)
class UsageChangeAdmin(_ReadOnlyCaseDetailAdmin):
    list_display = [
        "case",
        "account",
        "previous_usage",
        "requested_usage",
        "verified_usage",
        "effective_date",
        "applied_tariff",
        "completed_at",
    ]
    list_filter = ["requested_usage", "verification_method"]
