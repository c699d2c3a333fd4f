"""Admin: the tax items (finance edit them, with history) and read-only views of titles and
invoices (invoices change only through the services)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.invoicing.models import Invoice, InvoiceLine, InvoiceTitle, TaxItem


@admin.register(TaxItem)
class TaxItemAdmin(SimpleHistoryAdmin):
    list_display = ("component_kind", "goods_name", "tax_code", "treatment", "rate", "unit")
    readonly_fields = ("component_kind",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InvoiceTitle)
class InvoiceTitleAdmin(SimpleHistoryAdmin):
    list_display = ("account", "kind", "name", "tax_id", "auto_issue")
    search_fields = ("account__number", "name", "tax_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "state", "account", "platform_number", "amount_with_tax")
    list_filter = ("state", "kind")
    search_fields = ("number", "platform_number", "account__number")
    inlines = [InvoiceLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
