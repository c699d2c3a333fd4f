"""The 12345 platform's side of the link: the work order it pushes and what it pulls.

Field names are the platform's (``reference``, ``complainant_name``, …), so that a refusal
names the field the platform sent."""

from rest_framework import serializers

from waterdesk.complaints.models import MATTER_MAX_LENGTH, TEXT_MAX_LENGTH
from waterdesk.complaints.services.city_hotline import REFERENCE_PATTERN
from waterdesk.core.api import fields as api_fields


class TransferPushSerializer(serializers.Serializer):
    reference = serializers.RegexField(
        REFERENCE_PATTERN,
        max_length=64,
        help_text="The platform's work-order number: the transfer's identity.",
    )
    deadline = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The platform's deadline for our answer (ISO 8601); when it comes before "
        "our own reply limit, it is the reply deadline.",
    )
    complainant_name = api_fields.CharField(max_length=100)
    complainant_phone = api_fields.CharField(max_length=32)
    matter = api_fields.CharField(max_length=MATTER_MAX_LENGTH - 300)
    demand = api_fields.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    category = api_fields.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The platform's category text; mapped to ours (else 其他).",
    )
    address = api_fields.CharField(max_length=200, required=False, allow_blank=True, default="")


class CityRoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    reason = api_fields.CharField(help_text="Why the complainant was not satisfied (round ≥ 2).")
    reply = api_fields.CharField(help_text="Our reply: the outcome of the round.")
    basis = api_fields.CharField(help_text="The basis of the reply.")
    replied_at = serializers.DateTimeField(allow_null=True)
    response = api_fields.CharField(help_text="satisfied, not_satisfied or empty.")
    response_note = api_fields.CharField()
    response_at = serializers.DateTimeField(allow_null=True)


class OutcomeSerializer(serializers.Serializer):
    status = api_fields.CharField(help_text="closed or withdrawn.")
    closed_at = serializers.DateTimeField()
    reply = api_fields.CharField(help_text="The last reply given.")
    basis = api_fields.CharField()
    response = api_fields.CharField(help_text="The complainant's last response.")


class TransferSerializer(serializers.Serializer):
    reference = api_fields.CharField()
    case_number = api_fields.CharField(help_text="Our case number.")
    status = api_fields.CharField(help_text="Our status code of the complaint.")
    status_label = api_fields.CharField()
    acknowledged = serializers.BooleanField(help_text="Whether we confirmed taking it on.")
    deadline = serializers.DateTimeField(allow_null=True)
    opened_at = serializers.DateTimeField()
    round = serializers.IntegerField(help_text="The current round of handling.")
    escalation_level = serializers.IntegerField(
        help_text="0 department, 1 department head, 2 management."
    )
    escalation_label = api_fields.CharField()
    rounds = CityRoundSerializer(many=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = OutcomeSerializer(allow_null=True, help_text="Set once the case is closed.")
