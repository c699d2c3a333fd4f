"""Admin of collection: the classification matrix, the strategies' ladders, the collection
policy and the exemptions (with history); the runs, their arrears rows and the ladder's
records (read-only: the services write them)."""

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
    CollectionPolicy,
    CollectionStrategy,
    DisconnectionOrder,
    InstalmentPlan,
    LadderRun,
    LadderStep,
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


class LadderStepInline(admin.TabularInline):
    model = LadderStep
    extra = 0
    fields = ["kind", "wait_days", "due_days"]


@admin.register(CollectionStrategy)
class CollectionStrategyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    inlines = [LadderStepInline]


@admin.register(CollectionPolicy)
class CollectionPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "notice_days", "promise_grace_days", "department"]

    def has_add_permission(self, request) -> bool:
        return not CollectionPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(LadderRun)
class LadderRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "started_at", "finished_at", "counts"]


@admin.register(DisconnectionOrder)
class DisconnectionOrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["dunning", "status", "amount", "requested_at", "decided_by", "executed_at"]
    list_filter = ["status"]
    list_select_related = ["dunning", "decided_by"]
    search_fields = ["dunning__account__number", "dunning__case__number"]


@admin.register(InstalmentPlan)
class InstalmentPlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["dunning", "status", "total", "debt", "agreed_at", "agreed_by"]
    list_filter = ["status"]
    list_select_related = ["dunning", "agreed_by"]
    search_fields = ["dunning__account__number", "dunning__case__number"]
