"""Admin of collection: the classification matrix and the exemptions (with history), the
runs and their arrears rows (read-only)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.collection.models import (
    AccountArrears,
    AgeBand,
    AmountBand,
    ClassificationRule,
    ClassificationRun,
    CollectionExemption,
    CollectionStrategy,
)
from waterdesk.collection.services.exemptions import (
    collection_exemption_add,
    collection_exemption_revoke,
)
from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.core.errors import DomainError


@admin.register(AmountBand)
class AmountBandAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "lower", "upper"]


@admin.register(AgeBand)
class AgeBandAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "min_days", "max_days"]


@admin.register(CollectionStrategy)
class CollectionStrategyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(SimpleHistoryAdmin):
    list_display = ["amount_band", "age_band", "strategy"]
    list_filter = ["strategy"]
    list_select_related = ["amount_band", "age_band", "strategy"]


@admin.register(CollectionExemption)
class CollectionExemptionAdmin(SimpleHistoryAdmin):
    """Added through ``collection_exemption_add``; revoked by the action, never edited."""

    list_display = ["account", "kind", "starts_at", "expires_at", "created_by", "revoked_at"]
    list_filter = ["kind"]
    search_fields = ["account__number", "reason"]
    raw_id_fields = ["account"]
    fields = ["account", "kind", "reason", "starts_at", "expires_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            created = collection_exemption_add(
                actor=request.user,
                account=obj.account,
                kind=obj.kind,
                reason=obj.reason,
                starts_at=obj.starts_at,
                expires_at=obj.expires_at,
            )
        except DomainError as error:
            raise ValidationError(str(error.message)) from error
        obj.pk = created.pk

    @admin.action(description=_("撤销所选豁免"), permissions=["change"])
    def revoke(self, request, queryset):
        for exemption in queryset.filter(revoked_at__isnull=True):
            collection_exemption_revoke(actor=request.user, exemption=exemption)


@admin.register(ClassificationRun)
class ClassificationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["as_of", "started_at", "finished_at", "accounts_classified", "seconds"]


@admin.register(AccountArrears)
class AccountArrearsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "account",
        "overdue_amount",
        "days_overdue",
        "amount_band",
        "age_band",
        "strategy",
        "is_exempt",
    ]
    list_filter = ["strategy", "amount_band", "age_band", "is_exempt"]
    list_select_related = ["account", "amount_band", "age_band", "strategy"]
    search_fields = ["account__number"]
