"""Admin of water quality for administrators: the anomaly rules (one row, with history),
the plants and their supply zones, and the sampling points (read and edit; deactivated,
never deleted: their samples keep them). The catalogue, plans and samples are kept on the
quality pages, through the services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.quality.models import Plant, PointType, QualityPolicy, SamplingPoint
from waterdesk.quality.services.sampling import ZONE_TYPES


@admin.register(QualityPolicy)
class QualityPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "passes_required", "expected_recovery_hours"]

    def has_add_permission(self, request) -> bool:
        return not QualityPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Plant)
class PlantAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    filter_horizontal = ["zones"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SamplingPointForm(forms.ModelForm):
    """The rules of ``services.sampling.point_create``: an outlet names its plant, a point
    in the network its supply zone."""

    class Meta:
        model = SamplingPoint
        fields = [
            "code",
            "name",
            "point_type",
            "location",
            "latitude",
            "longitude",
            "plant",
            "zone",
            "disinfection",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        point_type = data.get("point_type")
        if point_type == PointType.PLANT_OUTLET and not data.get("plant"):
            raise ValidationError({"plant": _("出厂水采样点须选择所属水厂。")})
        if point_type in ZONE_TYPES and not data.get("zone"):
            raise ValidationError({"zone": _("管网水、末梢水和二次供水采样点须选择所在供水片区。")})
        return data


@admin.register(SamplingPoint)
class SamplingPointAdmin(SimpleHistoryAdmin):
    form = SamplingPointForm
    list_display = ["code", "name", "point_type", "plant", "zone", "disinfection", "is_active"]
    list_filter = ["point_type", "disinfection", "is_active", "plant"]
    search_fields = ["code", "name", "location"]

    def get_readonly_fields(self, request, obj=None):
        # The code is how samples and plans know the point: fixed once it exists.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
