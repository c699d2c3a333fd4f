from django.contrib import admin

from waterdesk.payments.models import CashierPost, Office


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "address", "is_active"]
    search_fields = ["code", "name"]


@admin.register(CashierPost)
class CashierPostAdmin(admin.ModelAdmin):
    list_display = ["user", "office"]
    list_select_related = ["user", "office"]
    autocomplete_fields = ["user"]
