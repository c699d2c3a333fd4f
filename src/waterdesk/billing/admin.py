"""Admin for billing: tariffs are edited here; everything else is read-only.

Tariffs and account tariffs are saved through ``billing.services.tariffs`` and validated by
the same functions, so the admin refuses what the services refuse and saves nothing then.
A tariff version is entered once (tiers and component prices on the same page) and never
edited: prices change by adding a version from a later date; a version no bill has reached
yet may be deleted. Reads, imports, cycles, bill runs, bills and the ledger are written by
the reading and billing services only — bills and ledger entries can never be edited or
deleted (corrections are adjustments).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.billing.models import (
    AccountTariff,
    Bill,
    BillDispute,
    BillLine,
    BillRun,
    BillRunChunk,
    LateFeePolicy,
    LateFeeRun,
    LateFeeWaiver,
    LedgerEntry,
    MeterRead,
    MeterReadCorrection,
    PrepaymentPolicy,
    ReadImport,
    ReadingCycle,
    ReadingPolicy,
    Tariff,
    TariffComponent,
    TariffTier,
    TariffVersion,
)
from waterdesk.billing.selectors.tariffs import tariff_price_summary
from waterdesk.billing.services import tariffs as services
from waterdesk.core.errors import DomainError

# Tier prices the version page offers per component (``TariffComponentForm``); a tariff
# with more tiers is entered through the service.
ADMIN_MAX_TIERS = 5


def _validation_error(error: DomainError) -> ValidationError:
    return ValidationError(str(error.message), code=error.code)


class ReadOnlyAdminMixin:
    """List and view only (a user still needs the model's view permission)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- tariffs ------------------------------------------------------------------------------


class TariffAdminForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = ["code", "name", "usage_category", "is_default"]

    def clean(self):
        cleaned = super().clean()
        instance = self.instance if self.instance.pk else None
        code = cleaned.get("code", instance.code if instance else "")
        usage_category = cleaned.get("usage_category", instance.usage_category if instance else "")
        if cleaned.get("name") and code and usage_category:
            try:
                services.tariff_validate(
                    tariff=Tariff.objects.get(pk=instance.pk) if instance else None,
                    code=code,
                    name=cleaned["name"],
                    usage_category=usage_category,
                    is_default=bool(cleaned.get("is_default")),
                )
            except DomainError as error:
                raise _validation_error(error) from error
        return cleaned

    def _get_validation_exclusions(self):
        # One default per category is kept by the service: it moves the default.
        return {*super()._get_validation_exclusions(), "is_default"}


class TariffVersionListInline(admin.TabularInline):
    model = TariffVersion
    fields = ["effective_from", "tier_basis", "household_base_size", "note"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    verbose_name_plural = _("价格版本（在“水价版本”中新增）")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_tariffversion")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tariff)
class TariffAdmin(SimpleHistoryAdmin):
    form = TariffAdminForm
    list_display = ["code", "name", "usage_category", "is_default", "latest_version"]
    list_filter = ["usage_category", "is_default"]
    search_fields = ["code", "name"]
    inlines = [TariffVersionListInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "usage_category"] if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("versions")

    @admin.display(description=_("最新版本生效日期"))
    def latest_version(self, obj: Tariff):
        dates = [version.effective_from for version in obj.versions.all()]
        return max(dates) if dates else None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts and bills refer to tariffs

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.tariff_update(
                actor=request.user, tariff=obj, name=obj.name, is_default=obj.is_default
            )
        else:
            saved = services.tariff_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                usage_category=obj.usage_category,
                is_default=obj.is_default,
            )
        obj.pk = saved.pk


class TierFormSet(BaseInlineFormSet):
    """Collects the tiers for the components formset, which validates the whole version."""

    def clean(self):
        super().clean()
        self.instance._admin_tiers = None
        if any(self.errors):
            return
        tiers = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            tiers.append(
                {
                    "index": data.get("index"),
                    "upper_bound": data.get("upper_bound"),
                    "extra_per_person": data.get("extra_per_person"),
                    "extra_for_large_household": data.get("extra_for_large_household"),
                }
            )
        self.instance._admin_tiers = tiers


class ComponentFormSet(BaseInlineFormSet):
    """Validates the version (main form + tiers + components) with the service's checks."""

    def clean(self):
        super().clean()
        version = self.instance
        version._admin_components = None
        if any(self.errors):
            return
        rows = []
        for order, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            tier_prices = {
                index: data.get(f"tier_{index}_price")
                for index in range(1, ADMIN_MAX_TIERS + 1)
                if data.get(f"tier_{index}_price") is not None
            }
            rows.append(
                (
                    data.get("position") or 0,
                    order,
                    {
                        "kind": data.get("kind"),
                        "name": data.get("name"),
                        "flat_price": data.get("flat_price"),
                        "tier_prices": tier_prices,
                    },
                )
            )
        components = [row for _position, _order, row in sorted(rows, key=lambda r: r[:2])]
        version._admin_components = components
        tiers = getattr(version, "_admin_tiers", None)
        if (
            tiers is None
            or version.tariff_id is None
            or version.effective_from is None
            or not version.tier_basis
        ):
            return  # the main form or the tiers show their own errors
        try:
            version._admin_warnings = services.tariff_version_validate(
                tariff=version.tariff,
                effective_from=version.effective_from,
                tier_basis=version.tier_basis,
                household_base_size=version.household_base_size,
                large_household_size=version.large_household_size,
                tiers=tiers,
                components=components,
            )
        except DomainError as error:
            raise _validation_error(error) from error


class _VersionPartInline(admin.TabularInline):
    """Entered with a new version, shown read-only afterwards; permissions follow the
    version's own."""

    extra = 3
    can_delete = False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_tariffversion")

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is None and request.user.has_perm("billing.add_tariffversion")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TariffTierInline(_VersionPartInline):
    model = TariffTier
    formset = TierFormSet
    fields = ["index", "upper_bound", "extra_per_person", "extra_for_large_household"]
    readonly_fields = []

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []


def _price_field(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=10, decimal_places=4, min_value=0, **kwargs
    )


class TariffComponentForm(forms.ModelForm):
    flat_price = _price_field(_("统一单价"), help_text=_("各档相同时填写；否则填写各档单价。"))
    tier_1_price = _price_field(_("第1档单价"))
    tier_2_price = _price_field(_("第2档单价"))
    tier_3_price = _price_field(_("第3档单价"))
    tier_4_price = _price_field(_("第4档单价"))
    tier_5_price = _price_field(_("第5档单价"))

    class Meta:
        model = TariffComponent
        fields = ["kind", "name", "position"]


TIER_PRICE_FIELDS = [f"tier_{index}_price" for index in range(1, ADMIN_MAX_TIERS + 1)]


class TariffComponentInline(_VersionPartInline):
    model = TariffComponent
    form = TariffComponentForm
    formset = ComponentFormSet

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "name", "position", "flat_price", *TIER_PRICE_FIELDS]
        return ["kind", "name", "position", "prices"]

    def get_readonly_fields(self, request, obj=None):
        return ["kind", "name", "position", "prices"] if obj is not None else []

    @admin.display(description=_("单价（元/m³）"))
    def prices(self, obj: TariffComponent) -> str:
        flat = _("统一")
        return " / ".join(
            f"{flat if rate.tier_index is None else rate.tier_index}: {rate.price}"
            for rate in obj.rates.all()
        )


class TariffVersionForm(forms.ModelForm):
    class Meta:
        model = TariffVersion
        fields = [
            "tariff",
            "effective_from",
            "tier_basis",
            "household_base_size",
            "large_household_size",
            "note",
        ]

    def _get_validation_exclusions(self):
        # A duplicate start date is refused by the service's checks, with their message.
        return {*super()._get_validation_exclusions(), "effective_from"}


@admin.register(TariffVersion)
class TariffVersionAdmin(SimpleHistoryAdmin):
    form = TariffVersionForm
    list_display = [
        "tariff",
        "effective_from",
        "tier_basis",
        "household_base_size",
        "large_household_size",
        "note",
    ]
    list_filter = ["tariff__usage_category", "tier_basis", "tariff"]
    list_select_related = ["tariff"]
    date_hierarchy = "effective_from"
    inlines = [TariffTierInline, TariffComponentInline]

    def get_fields(self, request, obj=None):
        fields = [
            "tariff",
            "effective_from",
            "tier_basis",
            "household_base_size",
            "large_household_size",
            "note",
        ]
        return [*fields, "price_table"] if obj is not None else fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    @admin.display(description=_("价格表"))
    def price_table(self, obj: TariffVersion):
        rows = tariff_price_summary(obj)
        return format_html_join(
            "",
            "<div>{}：{} = {} 元/m³</div>",
            (
                (
                    row["label"],
                    " + ".join(f"{price['name']} {price['price']}" for price in row["prices"]),
                    row["total_price"],
                )
                for row in rows
            ),
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # versions are never edited: add a later one

    def has_delete_permission(self, request, obj=None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        return obj is not None and not services.tariff_version_is_billed(obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        try:
            version = services.tariff_version_create(
                actor=request.user,
                tariff=obj.tariff,
                effective_from=obj.effective_from,
                tier_basis=obj.tier_basis,
                household_base_size=obj.household_base_size,
                large_household_size=obj.large_household_size,
                tiers=obj._admin_tiers,
                components=obj._admin_components,
                note=obj.note,
            )
        except DomainError as error:  # e.g. a concurrent save since validation
            obj._admin_failed = True
            self.message_user(request, str(error.message), messages.ERROR)
            return
        obj.pk = version.pk
        for warning in version.warnings:
            self.message_user(request, warning, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        pass  # tiers, components and rates were saved by the service

    def construct_change_message(self, request, form, formsets, add=False):
        return [{"added": {}}]  # the formsets saved nothing themselves

    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def delete_model(self, request, obj):
        services.tariff_version_delete(actor=request.user, version=obj)


class AccountTariffForm(forms.ModelForm):
    class Meta:
        model = AccountTariff
        fields = ["account", "tariff", "effective_from", "case"]

    def clean(self):
        cleaned = super().clean()
        account, tariff = cleaned.get("account"), cleaned.get("tariff")
        effective_from = cleaned.get("effective_from")
        if account and tariff and effective_from:
            try:
                services.account_tariff_validate(
                    account=account, tariff=tariff, effective_from=effective_from
                )
            except DomainError as error:
                raise _validation_error(error) from error
        return cleaned

    def _get_validation_exclusions(self):
        # Setting a tariff again from the same day replaces the row (the service upserts).
        return {*super()._get_validation_exclusions(), "effective_from"}


@admin.register(AccountTariff)
class AccountTariffAdmin(admin.ModelAdmin):
    form = AccountTariffForm
    list_display = ["account", "tariff", "effective_from", "case", "created_at"]
    list_filter = ["tariff"]
    list_select_related = ["account", "tariff", "case"]
    search_fields = ["=account__number", "tariff__name"]
    raw_id_fields = ["account", "case"]
    date_hierarchy = "effective_from"

    def get_readonly_fields(self, request, obj=None):
        return ["account", "tariff", "effective_from", "case", "created_at"] if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # set a new tariff from a later date instead

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        row = services.account_tariff_set(
            actor=request.user,
            account=obj.account,
            tariff=obj.tariff,
            effective_from=obj.effective_from,
            case=obj.case,
        )
        obj.pk = row.pk


# --- reading (read-only, but for the validation thresholds) -------------------------------


@admin.register(ReadingPolicy)
class ReadingPolicyAdmin(SimpleHistoryAdmin):
    """The one row of read-validation thresholds; edited, never added or deleted."""

    list_display = [
        "__str__",
        "jump_factor",
        "history_reads",
        "min_history_reads",
        "jump_min_volume",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReadingCycle)
class ReadingCycleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "period_start",
        "period_end",
        "read_from",
        "read_to",
        "due_days",
        "is_closed",
    ]
    list_filter = ["is_closed"]
    search_fields = ["code"]


class MeterReadCorrectionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MeterReadCorrection
    extra = 0
    fields = [
        "corrected_at",
        "corrected_by",
        "old_value",
        "new_value",
        "old_status",
        "new_status",
        "reason",
    ]


@admin.register(MeterRead)
class MeterReadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    inlines = [MeterReadCorrectionInline]
    list_display = [
        "meter",
        "account",
        "read_on",
        "value",
        "consumption",
        "kind",
        "source",
        "status",
        "cycle",
    ]
    list_filter = ["status", "kind", "source", "cycle"]
    list_select_related = ["meter", "account", "cycle"]
    search_fields = ["=meter__serial", "=account__number"]
    date_hierarchy = "read_on"
    raw_id_fields = ["account", "meter", "previous", "import_batch"]


@admin.register(ReadImport)
class ReadImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "file_name",
        "source",
        "uploaded_by",
        "uploaded_at",
        "lines_total",
        "lines_imported",
        "lines_duplicate",
        "lines_failed",
    ]
    list_filter = ["source"]
    search_fields = ["file_name", "sha256"]
    date_hierarchy = "uploaded_at"


# --- bill runs, bills, ledger (read-only) -------------------------------------------------


class BillRunChunkInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BillRunChunk
    extra = 0
    fields = [
        "index",
        "first_account_id",
        "last_account_id",
        "status",
        "attempts",
        "billed",
        "skipped",
        "started_at",
        "finished_at",
        "error",
    ]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_billrun")


@admin.register(BillRun)
class BillRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "cycle",
        "status",
        "total_accounts",
        "billed_accounts",
        "skipped_accounts",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "cycle"]
    list_select_related = ["cycle", "created_by"]
    date_hierarchy = "created_at"
    inlines = [BillRunChunkInline]


class BillLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BillLine
    extra = 0
    fields = [
        "component_name",
        "tier_index",
        "period_start",
        "period_end",
        "volume",
        "unit_price",
        "amount",
    ]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_bill")


@admin.register(Bill)
class BillAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "account",
        "kind",
        "cycle",
        "period_start",
        "period_end",
        "volume",
        "amount",
        "issued_at",
        "due_date",
    ]
    list_filter = ["kind", "cycle"]
    list_select_related = ["account", "cycle"]
    search_fields = ["=number", "=account__number"]
    date_hierarchy = "issued_at"
    raw_id_fields = ["account", "closing_read", "run"]
    inlines = [BillLineInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "account",
        "kind",
        "amount",
        "posted_at",
        "due_date",
        "bill",
        "description",
        "reference",
    ]
    list_filter = ["kind"]
    list_select_related = ["account", "bill"]
    search_fields = ["=account__number", "reference", "=bill__number"]
    date_hierarchy = "posted_at"
    raw_id_fields = ["account", "bill", "reverses", "created_by"]


# --- late fees (the policy is edited here, with history; the rest is read-only) ------------


@admin.register(LateFeePolicy)
class LateFeePolicyAdmin(SimpleHistoryAdmin):
    """Late-fee terms by the day they take effect: a change is a new row from a later date
    (a row edited backwards changes fees not yet posted only; posted ones stay)."""

    list_display = ["effective_from", "daily_rate", "grace_days", "cap_share", "is_active", "note"]
    list_filter = ["is_active"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LateFeeRun)
class LateFeeRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["as_of", "started_at", "finished_at", "bills_posted", "amount_posted"]


@admin.register(BillDispute)
class BillDisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["bill", "reason", "opened_at", "opened_by", "closed_at", "closed_by"]
    search_fields = ["bill__number"]


@admin.register(LateFeeWaiver)
class LateFeeWaiverAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "bill",
        "amount",
        "reason",
        "requested_by",
        "approved_by",
        "approved_at",
        "approved_amount",
    ]
    search_fields = ["bill__number"]


@admin.register(PrepaymentPolicy)
class PrepaymentPolicyAdmin(SimpleHistoryAdmin):
    """The one row of the prepayment policy (预存规则); edited, never added or deleted."""

    list_display = ["__str__", "low_balance_threshold", "settles_automatically", "notice_channel"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
