"""API serializers of the incident kind: its detail (in the case's answer) and the inputs
of its intake and actions. Inputs check types and shapes only (the services own the rules);
``validated_data`` are the service's keyword arguments."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from waterdesk.cases.models import Channel
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import UserRefSerializer
from waterdesk.emergency.models import (
    Incident,
    IncidentReview,
    IncidentSource,
    IncidentTask,
    IncidentType,
    Measure,
    PlanVersion,
    ResponseLevel,
)
from waterdesk.emergency.serializers_area import (
    AreaInputSerializer,
    NoticeRoundSerializer,
    WaterPointInputSerializer,
    WaterPointSerializer,
)


def _staff(help_text: str, **kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text=help_text,
        **kwargs,
    )


# --- the detail ----------------------------------------------------------------------------


class IncidentTaskSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(allow_null=True)
    done_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = IncidentTask
        fields = [
            "id",
            "position",
            "title",
            "owner_role",
            "owner",
            "due_at",
            "done_at",
            "done_by",
            "note",
        ]


class IncidentMeasureSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()

    class Meta:
        model = Measure
        fields = ["id", "description", "owner", "deadline", "done_at", "done_note"]


class IncidentReviewSerializer(serializers.ModelSerializer):
    written_by = UserRefSerializer()
    measures = IncidentMeasureSerializer(many=True)

    class Meta:
        model = IncidentReview
        fields = ["causes", "went_well", "went_badly", "written_by", "written_at", "measures"]


class IncidentSerializer(serializers.ModelSerializer):
    plan_version = serializers.SerializerMethodField()
    tasks = IncidentTaskSerializer(many=True)
    water_points = WaterPointSerializer(many=True, source="case.water_points")
    notice_rounds = NoticeRoundSerializer(many=True, source="case.notice_rounds")
    review = IncidentReviewSerializer(allow_null=True, default=None)

    class Meta:
        model = Incident
        fields = [
            "incident_type",
            "level",
            "source",
            "plan_version",
            "title",
            "description",
            "public_summary",
            "started_at",
            "activated_at",
            "expected_restoration_at",
            "restored_at",
            "restoration_note",
            "source_reference",
            "tasks",
            "water_points",
            "notice_rounds",
            "review",
        ]

    def get_plan_version(self, incident: Incident) -> str | None:
        return str(incident.plan_version) if incident.plan_version_id else None


# --- inputs --------------------------------------------------------------------------------


class IncidentIntakeSerializer(AreaInputSerializer):
    incident_type = serializers.ChoiceField(choices=IncidentType.choices)
    level = serializers.ChoiceField(choices=ResponseLevel.choices, help_text="1 (most severe)–4.")
    source = serializers.ChoiceField(choices=IncidentSource.choices)
    title = api_fields.CharField(max_length=200)
    description = api_fields.CharField(max_length=2000)
    public_summary = api_fields.CharField(
        max_length=500, help_text="What the notices and the public pages say (no personal data)."
    )
    started_at = serializers.DateTimeField()
    expected_restoration_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None
    )
    plan_version = serializers.PrimaryKeyRelatedField(
        queryset=PlanVersion.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A published version of the type's plan; none: the version in force.",
    )
    water_points = WaterPointInputSerializer(many=True, required=False, default=list)
    source_reference = api_fields.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text="A quality result or repair case number: an active incident with the same "
        "reference is answered instead of opening another.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)


class IncidentEscalateSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=ResponseLevel.choices)
    reason = api_fields.CharField(max_length=500)


class IncidentUpdateSerializer(serializers.Serializer):
    expected_restoration_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None
    )
    note = api_fields.CharField(max_length=500, required=False, default="", allow_blank=True)


class IncidentWaterPointCloseSerializer(serializers.Serializer):
    water_point = serializers.IntegerField(help_text="The water point's id (detail.water_points).")
    note = api_fields.CharField(max_length=500, required=False, default="", allow_blank=True)


class IncidentAreaSerializer(AreaInputSerializer):
    note = api_fields.CharField(max_length=500, required=False, default="", allow_blank=True)


class IncidentTaskDoneSerializer(serializers.Serializer):
    task = serializers.IntegerField(help_text="The task's id (detail.tasks).")
    note = api_fields.CharField(max_length=500, required=False, default="", allow_blank=True)


class IncidentTaskAddSerializer(serializers.Serializer):
    title = api_fields.CharField(max_length=300)
    owner = _staff("The owner's username.", required=False, allow_null=True, default=None)
    owner_role = api_fields.CharField(max_length=40, required=False, default="", allow_blank=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class IncidentRestoreSerializer(serializers.Serializer):
    restored_at = serializers.DateTimeField()
    note = api_fields.CharField(max_length=500, required=False, default="", allow_blank=True)


class MeasureInputSerializer(serializers.Serializer):
    description = api_fields.CharField(max_length=500)
    owner = _staff("The owner's username.")
    deadline = serializers.DateField()


class IncidentReviewInputSerializer(serializers.Serializer):
    causes = api_fields.CharField(max_length=2000)
    went_well = api_fields.CharField(max_length=2000, required=False, default="", allow_blank=True)
    went_badly = api_fields.CharField(max_length=2000, required=False, default="", allow_blank=True)
    measures = MeasureInputSerializer(many=True, required=False, default=list)


class IncidentNoteSerializer(serializers.Serializer):
    note = api_fields.CharField(max_length=500, required=False, default="", allow_blank=True)


class IncidentCancelSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=500)
