from django.contrib import admin

from waterdesk.amr.models import AmrPolicy, HeadEnd, RemoteMeter


@admin.register(HeadEnd)
class HeadEndAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "adapter", "is_active", "token_issued_at"]
    readonly_fields = ["token_hash", "token_issued_at", "user"]


@admin.register(RemoteMeter)
class RemoteMeterAdmin(admin.ModelAdmin):
    list_display = ["device_id", "meter", "head_end", "supports_valve", "valve_state"]
    raw_id_fields = ["meter"]
    readonly_fields = ["valve_state", "battery_percent", "last_seen_at", "last_value"]


@admin.register(AmrPolicy)
class AmrPolicyAdmin(admin.ModelAdmin):
    list_display = ["silence_days", "low_battery_percent", "night_flow_threshold"]
