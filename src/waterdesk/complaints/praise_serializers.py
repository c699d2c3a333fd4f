"""API serializers of the praise kind: its detail (in the case's answer) and the inputs of
its intake and actions. Types and shapes only; the services own the rules."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.cases.models import Channel
from waterdesk.complaints.models import PRAISE_MATTER_MAX_LENGTH, TEAM_NAME_MAX_LENGTH, Praise
from waterdesk.complaints.services.praise import NOTE_MAX_LENGTH
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import DepartmentRefSerializer, UserRefSerializer
from waterdesk.core.masking import mask_email
from waterdesk.core.models import Department
from waterdesk.customers.models import Customer


class PraiseSerializer(serializers.ModelSerializer):
    staff_praised = UserRefSerializer(allow_null=True)
    department_praised = DepartmentRefSerializer(allow_null=True)
    forwarded_to = DepartmentRefSerializer(allow_null=True)
    acknowledged_by = UserRefSerializer(allow_null=True)
    email = serializers.SerializerMethodField(help_text="The contact address, masked.")

    class Meta:
        model = Praise
        fields = [
            "matter",
            "staff_praised",
            "department_praised",
            "team_name",
            "email",
            "acknowledged_at",
            "acknowledged_by",
            "forwarded_to",
            "acknowledge_note",
        ]

    @extend_schema_field(api_fields.CharField())
    def get_email(self, praise: Praise) -> str:
        return mask_email(praise.email) if praise.email else ""


class PraiseIntakeSerializer(serializers.Serializer):
    """A praise from any channel: who praises, what for, and who is praised."""

    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    contact_name = api_fields.CharField(max_length=100)
    contact_phone = api_fields.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required except for an e-mail or web praise.",
    )
    email = api_fields.CharField(max_length=254, required=False, allow_blank=True, default="")
    customer = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Customer.objects.all(),
        required=False,
        help_text="The public id of the customer praising, if known.",
    )
    matter = api_fields.CharField(max_length=PRAISE_MATTER_MAX_LENGTH)
    staff_praised = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The username of the staff member praised.",
    )
    department_praised = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The code of the department praised.",
    )
    team_name = api_fields.CharField(
        max_length=TEAM_NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The crew or team praised, in words.",
    )


class PraiseAcknowledgeSerializer(serializers.Serializer):
    note = api_fields.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="What was passed on to the praised department.",
    )
