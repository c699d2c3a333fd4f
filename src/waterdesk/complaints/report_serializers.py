"""API inputs and outputs of whistleblower reports. The detail never names the reporter:
the identity has its own endpoint (supervisors only, logged)."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.complaints.models import (
    REPORT_LINE_MAX_LENGTH,
    REPORT_TEXT_MAX_LENGTH,
    Report,
    ReportFinding,
)
from waterdesk.complaints.report_forms import DESK_CHANNELS
from waterdesk.core.api import fields as api_fields


# A pattern, not an enum: the schema's enums are named by field, and every other
# ``channel`` is the set of all case channels.
@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(" + "|".join(value for value, _label in DESK_CHANNELS) + ")$",
        "description": "The desk's intake channel: "
        + ", ".join(f"`{value}`" for value, _label in DESK_CHANNELS)
        + ".",
    }
)
class DeskChannelField(serializers.ChoiceField):
    """The desk's intake channels (phone, counter, e-mail)."""


def _staff():
    return get_user_model().objects.filter(is_active=True)


class ReportIntakeSerializer(serializers.Serializer):
    channel = DeskChannelField(choices=DESK_CHANNELS)
    subject = api_fields.CharField(max_length=REPORT_LINE_MAX_LENGTH)
    matter = api_fields.CharField(max_length=REPORT_TEXT_MAX_LENGTH)
    occurred_when = api_fields.CharField(
        max_length=REPORT_LINE_MAX_LENGTH, required=False, allow_blank=True
    )
    occurred_where = api_fields.CharField(
        max_length=REPORT_LINE_MAX_LENGTH, required=False, allow_blank=True
    )
    reporter_name = api_fields.CharField(max_length=100, required=False, allow_blank=True)
    reporter_phone = api_fields.CharField(max_length=20, required=False, allow_blank=True)
    reporter_email = serializers.EmailField(required=False, allow_blank=True)


class ReportAcknowledgeSerializer(serializers.Serializer):
    investigator = serializers.SlugRelatedField(slug_field="username", queryset=_staff())
    note = api_fields.CharField(max_length=REPORT_TEXT_MAX_LENGTH, required=False, allow_blank=True)


class ReportNoteSerializer(serializers.Serializer):
    note = api_fields.CharField(max_length=REPORT_TEXT_MAX_LENGTH)


class ReportConcludeSerializer(serializers.Serializer):
    finding = serializers.ChoiceField(choices=ReportFinding.choices)
    action_taken = api_fields.CharField(max_length=REPORT_TEXT_MAX_LENGTH)
    feedback = api_fields.CharField(max_length=REPORT_TEXT_MAX_LENGTH)
    subject_staff = serializers.SlugRelatedField(
        slug_field="username", queryset=_staff(), required=False, allow_null=True
    )


class ReportNoteOptionalSerializer(serializers.Serializer):
    note = api_fields.CharField(max_length=REPORT_TEXT_MAX_LENGTH, required=False, allow_blank=True)


class ReportReasonSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=REPORT_TEXT_MAX_LENGTH)


class ReportSerializer(serializers.ModelSerializer):
    subject_staff = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    investigator = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    finding = api_fields.CharField(
        read_only=True,
        help_text="`substantiated`, `partly` or `unsubstantiated`; empty until concluded.",
    )

    class Meta:
        model = Report
        fields = [
            "subject",
            "subject_staff",
            "occurred_when",
            "occurred_where",
            "matter",
            "investigator",
            "finding",
            "action_taken",
            "feedback",
            "concluded_at",
            "feedback_at",
        ]
        read_only_fields = fields


class IdentityRequestSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=REPORT_LINE_MAX_LENGTH, required=False, default="")


class IdentitySerializer(serializers.Serializer):
    case = api_fields.CharField()
    anonymous = serializers.BooleanField()
    name = api_fields.CharField()
    phone = api_fields.CharField()
    email = api_fields.CharField()
