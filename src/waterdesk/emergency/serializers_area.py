"""API shapes the incident and planned-outage kinds share: the area they cover, the
temporary water points and the notice rounds (one schema component each)."""

from rest_framework import serializers

from waterdesk.core.api import fields as api_fields
from waterdesk.customers.models import Premise, SupplyZone
from waterdesk.emergency.models import NoticeRound, WaterPoint


class StreetSerializer(serializers.Serializer):
    district = api_fields.CharField(max_length=50, required=False, default="", allow_blank=True)
    street = api_fields.CharField(max_length=100)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return (value.get("district", ""), value["street"])


class AreaInputSerializer(serializers.Serializer):
    zones = serializers.SlugRelatedField(
        slug_field="code",
        queryset=SupplyZone.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="Supply zone codes.",
    )
    streets = StreetSerializer(many=True, required=False, default=list)
    premises = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Premise.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="Premise public ids.",
    )


class WaterPointInputSerializer(serializers.Serializer):
    address = api_fields.CharField(max_length=300)
    district = api_fields.CharField(max_length=50, required=False, default="", allow_blank=True)
    opening_hours = api_fields.CharField(max_length=100, help_text="e.g. 8:00-20:00")
    supplies = api_fields.CharField(max_length=200, help_text="e.g. 送水车、桶装水")


class WaterPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WaterPoint
        fields = [
            "id",
            "address",
            "district",
            "opening_hours",
            "supplies",
            "opened_at",
            "closed_at",
        ]


class NoticeRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = NoticeRound
        fields = [
            "number",
            "kind",
            "message",
            "expected_restoration_at",
            "customers",
            "sensitive_customers",
            "messages",
            "queued_at",
        ]
