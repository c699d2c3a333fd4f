"""API serializers of the follow-up kind (回访跟进): its detail and the input of its action.
Input serializers check types and shapes only; the services own the business rules."""

from rest_framework import serializers

from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import UserRefSerializer
from waterdesk.surveys.models import NOTE_MAX_LENGTH, Feedback


class FeedbackSerializer(serializers.ModelSerializer):
    score = serializers.IntegerField(source="survey.score", help_text="The score given, 1–5.")
    comment = api_fields.CharField(source="survey.comment", help_text="The customer's comment.")
    surveyed_case = api_fields.CharField(
        source="survey.case.number",
        default=None,
        allow_null=True,
        help_text="The number of the case the survey was about (none: a periodic survey).",
    )
    resolved_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = Feedback
        fields = ["score", "comment", "surveyed_case", "note", "resolved_by", "resolved_at"]


class FeedbackResolveSerializer(serializers.Serializer):
    note = api_fields.CharField(
        max_length=NOTE_MAX_LENGTH, help_text="What was done about the low score."
    )
