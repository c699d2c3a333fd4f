"""API serializers of the complaint kind: its detail (in the case's answer) and the inputs
of its intake and actions. Input serializers check types and shapes only (the services own
the business rules); ``validated_data`` are the service's keyword arguments."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.cases.models import Channel, Priority
from waterdesk.complaints.models import (
    MATTER_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Complaint,
    ComplaintCategory,
    ComplaintRound,
    Interview,
    Measure,
    ReplyChannel,
    RootCause,
)
from waterdesk.complaints.services.handling import REASON_MAX_LENGTH
from waterdesk.complaints.services.investigation import PERSON_MAX_LENGTH
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import UserRefSerializer
from waterdesk.core.masking import mask_email
from waterdesk.core.models import Department
from waterdesk.customers.models import Customer


def _staff_field(help_text: str, **kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text=help_text,
        **kwargs,
    )


def _department_field(help_text: str, **kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), help_text=help_text, **kwargs
    )


# --- the detail (in the case's API answer) -------------------------------------------------


class InterviewSerializer(serializers.ModelSerializer):
    recorded_by = UserRefSerializer()

    class Meta:
        model = Interview
        fields = ["person", "party", "held_at", "summary", "recorded_by"]


class RoundSerializer(serializers.ModelSerializer):
    investigation = serializers.SerializerMethodField()
    interviews = InterviewSerializer(many=True)
    replied_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = ComplaintRound
        fields = [
            "number",
            "opened_at",
            "reason",
            "investigation",
            "interviews",
            "reply",
            "basis",
            "reply_channel",
            "replied_at",
            "replied_by",
            "response",
            "response_note",
            "response_at",
        ]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_investigation(self, current: ComplaintRound) -> dict | None:
        report = getattr(current, "investigation", None)
        if report is None:
            return None
        return {
            "facts": report.facts,
            "process": report.process,
            "finding": report.finding,
            "proposal": report.proposal,
            "reported_at": report.reported_at.isoformat(),
        }


class MeasureSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()

    class Meta:
        model = Measure
        fields = ["id", "round_number", "description", "owner", "deadline", "done_at", "done_note"]


class ComplaintSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")
    email = serializers.SerializerMethodField(help_text="The reply address, masked.")
    linked_case = api_fields.CharField(source="linked_case.number", default=None, allow_null=True)
    department_concerned = api_fields.CharField(
        source="department_concerned.code", default=None, allow_null=True
    )
    rounds = RoundSerializer(many=True)
    measures = MeasureSerializer(many=True)

    class Meta:
        model = Complaint
        fields = [
            "category",
            "category_name",
            "matter",
            "demand",
            "email",
            "department_concerned",
            "linked_case",
            "city_reference",
            "city_deadline",
            "round",
            "escalation_level",
            "root_cause",
            "is_substantiated",
            "plan_summary",
            "rounds",
            "measures",
            "follow_up_at",
            "follow_up_satisfaction",
            "lessons",
        ]
        read_only_fields = fields

    @extend_schema_field(api_fields.CharField())
    def get_email(self, detail: Complaint) -> str:
        return mask_email(detail.email) if detail.email else ""


# --- intake --------------------------------------------------------------------------------


class ComplaintIntakeSerializer(serializers.Serializer):
    """A complaint by phone, at the counter, by e-mail or from the web: routed to the
    category's department (else the department complained about), acknowledged within the
    policy's working days and replied within its reply days."""

    channel = serializers.ChoiceField(
        choices=Channel.choices,
        default=Channel.API,
        help_text="Not city_hotline: 12345 transfers come through the platform's own endpoint.",
    )
    contact_name = api_fields.CharField(max_length=100)
    contact_phone = api_fields.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required unless an e-mail is given.",
    )
    email = api_fields.CharField(max_length=254, required=False, allow_blank=True, default="")
    customer = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Customer.objects.all(),
        required=False,
        help_text="The public id of the complaining customer, if known.",
    )
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ComplaintCategory.objects.all(),
        help_text="service_attitude, billing, meter, water_quality, supply, repair, …",
    )
    matter = api_fields.CharField(max_length=MATTER_MAX_LENGTH)
    demand = api_fields.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    staff_concerned = _staff_field("Login of the staff member complained about.", required=False)
    department_concerned = _department_field(
        "Code of the department complained about.", required=False
    )
    linked_case = api_fields.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The number of a case the complaint is about (BX-20261201-0001).",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    green_channel_reason = api_fields.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


# --- one serializer per action -------------------------------------------------------------


class ComplaintAcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)


class ComplaintRouteSerializer(serializers.Serializer):
    department = _department_field("Code of the department to investigate.")
    reason = api_fields.CharField(max_length=REASON_MAX_LENGTH, allow_blank=True)


class ComplaintInterviewSerializer(serializers.Serializer):
    person = api_fields.CharField(max_length=PERSON_MAX_LENGTH, allow_blank=True)
    party = serializers.ChoiceField(choices=Interview.Party.choices)
    held_at = serializers.DateTimeField(help_text="When the interview took place (not later).")
    summary = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)


class ComplaintReportSerializer(serializers.Serializer):
    facts = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    process = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    finding = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    proposal = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    root_cause = serializers.ChoiceField(choices=RootCause.choices)
    is_substantiated = serializers.BooleanField()


class ComplaintPlanSerializer(serializers.Serializer):
    department = _department_field("Code of the department responsible for the plan.")
    owner = _staff_field("Login of the person responsible.")
    summary = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)


class ComplaintMeasureAddSerializer(serializers.Serializer):
    description = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    owner = _staff_field("Login of the person who carries it out.")
    deadline = serializers.DateField(help_text="Not before today.")


class ComplaintMeasureDoneSerializer(serializers.Serializer):
    measure = serializers.PrimaryKeyRelatedField(
        queryset=Measure.objects.all(), help_text="The id of an open measure of this complaint."
    )
    note = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)


class ComplaintReplySerializer(serializers.Serializer):
    reply = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    basis = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    reply_channel = serializers.ChoiceField(
        choices=ReplyChannel.choices,
        source="channel",
        help_text="How the outcome reached the complainant; a written notice also goes by SMS "
        "or e-mail where they can be reached.",
    )


class ComplaintSatisfiedSerializer(serializers.Serializer):
    note = api_fields.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class ComplaintNotSatisfiedSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)


class ComplaintEscalateSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=REASON_MAX_LENGTH, allow_blank=True)


class ComplaintFollowUpSerializer(serializers.Serializer):
    note = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)


class ComplaintCloseSerializer(serializers.Serializer):
    lessons = api_fields.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)
