"""The API inputs of the offered collection actions (one serializer per action)."""

from rest_framework import serializers

from waterdesk.collection.services.disconnection import REASON_MAX_LENGTH
from waterdesk.core.api import fields as api_fields
from waterdesk.fieldwork.models import Crew


class RequestDisconnectionInputSerializer(serializers.Serializer):
    """No input: the notice period, payments and exemptions are checked by the service."""


class ApproveDisconnectionInputSerializer(serializers.Serializer):
    crew = serializers.SlugRelatedField(
        slug_field="code", queryset=Crew.objects.all(), help_text="The crew's code."
    )
    note = api_fields.CharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class CrewInputSerializer(serializers.Serializer):
    crew = serializers.SlugRelatedField(
        slug_field="code", queryset=Crew.objects.all(), help_text="The crew's code."
    )


class ReconnectWithoutPaymentInputSerializer(CrewInputSerializer):
    reason = api_fields.CharField(max_length=REASON_MAX_LENGTH, allow_blank=True)


class ReasonInputSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=REASON_MAX_LENGTH, allow_blank=True)


class DunningSerializer(serializers.Serializer):
    """The collection detail of a case (``dunning``)."""

    account = serializers.CharField(source="account.number")
    strategy = serializers.CharField(source="strategy.code")
    step = serializers.CharField(source="step.kind", default=None)
    opened_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    is_open = serializers.BooleanField()
    disconnected_at = serializers.DateTimeField()
    reconnection_requested_at = serializers.DateTimeField()
    reconnected_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField()
