"""API inputs and outputs of whistleblower reports. The detail never names the reporter:
the identity has its own endpoint (supervisors only, logged)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from waterdesk.complaints.models import (
    REPORT_LINE_MAX_LENGTH,
    REPORT_TEXT_MAX_LENGTH,
    Report,
    ReportFinding,
)
from waterdesk.complaints.report_forms import DESK_CHANNELS


def _staff():
    return get_user_model().objects.filter(is_active=True)


class ReportIntakeSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=DESK_CHANNELS)
    subject = serializers.CharField(max_length=REPORT_LINE_MAX_LENGTH)
    matter = serializers.CharField(max_length=REPORT_TEXT_MAX_LENGTH)
    occurred_when = serializers.CharField(
        max_length=REPORT_LINE_MAX_LENGTH, required=False, allow_blank=True
    )
    occurred_where = serializers.CharField(
        max_length=REPORT_LINE_MAX_LENGTH, required=False, allow_blank=True
    )
    reporter_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    reporter_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    reporter_email = serializers.EmailField(required=False, allow_blank=True)


class ReportAcknowledgeSerializer(serializers.Serializer):
    investigator = serializers.SlugRelatedField(slug_field="username", queryset=_staff())
    note = serializers.CharField(
        max_length=REPORT_TEXT_MAX_LENGTH, required=False, allow_blank=True
    )


class ReportNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=REPORT_TEXT_MAX_LENGTH)


class ReportConcludeSerializer(serializers.Serializer):
    finding = serializers.ChoiceField(choices=ReportFinding.choices)
    action_taken = serializers.CharField(max_length=REPORT_TEXT_MAX_LENGTH)
    feedback = serializers.CharField(max_length=REPORT_TEXT_MAX_LENGTH)
    subject_staff = serializers.SlugRelatedField(
        slug_field="username", queryset=_staff(), required=False, allow_null=True
    )


class ReportNoteOptionalSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=REPORT_TEXT_MAX_LENGTH, required=False, allow_blank=True
    )


class ReportReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REPORT_TEXT_MAX_LENGTH)


class ReportSerializer(serializers.ModelSerializer):
    subject_staff = serializers.SlugRelatedField(slug_field="username", read_only=True)
    investigator = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
    reason = serializers.CharField(max_length=REPORT_LINE_MAX_LENGTH, required=False, default="")


class IdentitySerializer(serializers.Serializer):
    case = serializers.CharField()
    anonymous = serializers.BooleanField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
