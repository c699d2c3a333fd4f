"""The API inputs of the offered repair actions (one serializer per action)."""

from rest_framework import serializers

from waterdesk.core.api import fields as api_fields
from waterdesk.fieldwork.models import Crew
from waterdesk.repairs.models import COMMENT_MAX_LENGTH, FollowUpOutcome
from waterdesk.repairs.services.common import REASON_MAX_LENGTH


class RepairDispatchInputSerializer(serializers.Serializer):
    crew = serializers.SlugRelatedField(
        slug_field="code", queryset=Crew.objects.all(), help_text="The crew's code."
    )
    window_start = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A visit window agreed with the customer (without an offset: Asia/Shanghai).",
    )
    window_end = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RepairRecallInputSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=REASON_MAX_LENGTH, allow_blank=True)


class RepairDispatchSeparatelyInputSerializer(serializers.Serializer):
    reason = api_fields.CharField(
        max_length=REASON_MAX_LENGTH,
        allow_blank=True,  # the service refuses a blank reason with its own code
        help_text="Why the repair is not the incident's fault (it leaves the incident and "
        "waits for a crew).",
    )


class RepairCancelInputSerializer(serializers.Serializer):
    reason = api_fields.CharField(
        max_length=REASON_MAX_LENGTH,
        allow_blank=True,  # the service refuses a blank reason with its own code
        help_text="Why no crew is needed (a false report, fixed already, …).",
    )


class RepairFollowUpInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FollowUpOutcome.choices)
    satisfaction = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        allow_null=True,
        default=None,
        help_text="1–5; required when the customer was reached.",
    )
    comments = api_fields.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
