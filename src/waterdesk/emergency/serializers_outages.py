"""API serializers of the planned-outage kind: its detail (in the case's answer) and the
inputs of its intake and actions. Types and shapes only; the services own the rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.cases.models import Channel
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import UserRefSerializer
from waterdesk.emergency.models import PlannedOutage
from waterdesk.emergency.serializers_area import (
    AreaInputSerializer,
    NoticeRoundSerializer,
    StreetSerializer,
    WaterPointInputSerializer,
    WaterPointSerializer,
)
from waterdesk.emergency.services.area import affected_counts, area_of, area_text
from waterdesk.emergency.services.outages import (
    REASON_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    WORKS_MAX_LENGTH,
)


class AreaSerializer(serializers.Serializer):
    text = api_fields.CharField(help_text="The area in a sentence.")
    zones = serializers.ListField(child=api_fields.CharField(), help_text="Supply zone codes.")
    streets = StreetSerializer(many=True)
    premises = serializers.ListField(child=api_fields.CharField(), help_text="Addresses.")
    customers = serializers.IntegerField(help_text="Affected customers now.")
    sensitive_customers = serializers.IntegerField()


class PlannedOutageSerializer(serializers.ModelSerializer):
    approved_by = UserRefSerializer(allow_null=True)
    area = serializers.SerializerMethodField()
    water_points = WaterPointSerializer(many=True, source="case.water_points")
    notice_rounds = NoticeRoundSerializer(many=True, source="case.notice_rounds")

    class Meta:
        model = PlannedOutage
        fields = [
            "works",
            "public_summary",
            "starts_at",
            "ends_at",
            "planned_ends_at",
            "announced_at",
            "short_notice_reason",
            "approved_by",
            "approved_at",
            "reminded_at",
            "restored_at",
            "area",
            "water_points",
            "notice_rounds",
        ]

    @extend_schema_field(AreaSerializer)
    def get_area(self, outage: PlannedOutage) -> dict:
        area = area_of(outage.case)
        customers, sensitive = affected_counts(area)
        return {
            "text": area_text(area),
            "zones": [zone.code for zone in area.zones],
            "streets": [{"district": d, "street": s} for d, s in area.streets],
            "premises": [premise.address for premise in area.premises],
            "customers": customers,
            "sensitive_customers": sensitive,
        }


class OutageIntakeSerializer(AreaInputSerializer):
    """A planned outage: the works, when, where, and the temporary water points."""

    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    works = api_fields.CharField(max_length=WORKS_MAX_LENGTH, help_text="What is done (施工内容).")
    public_summary = api_fields.CharField(
        max_length=SUMMARY_MAX_LENGTH, help_text="Shown on the public outage page."
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="The expected restoration.")
    short_notice_reason = api_fields.CharField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the start is inside the notice time (24 hours by default): "
        "the outage then waits for a duty manager's approval.",
    )
    water_points = WaterPointInputSerializer(many=True, required=False, default=list)


class OutageApproveSerializer(serializers.Serializer):
    note = api_fields.CharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class OutageReasonSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=REASON_MAX_LENGTH)


class OutageOverrunSerializer(serializers.Serializer):
    ends_at = serializers.DateTimeField(help_text="The new expected restoration.")
    reason = api_fields.CharField(max_length=REASON_MAX_LENGTH)


class OutageRestoreSerializer(serializers.Serializer):
    restored_at = serializers.DateTimeField(
        required=False, help_text="When supply came back (default: now)."
    )
    note = api_fields.CharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
