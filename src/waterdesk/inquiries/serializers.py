"""API serializers of the inquiry kind: its detail (shown in the case's answer) and the
inputs of its intake and actions. Input serializers check types and shapes only (the
services own the business rules); ``validated_data`` are the service's keyword arguments."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.cases.models import Channel, Priority
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import UserRefSerializer
from waterdesk.core.masking import mask_email
from waterdesk.customers.models import Customer
from waterdesk.inquiries.models import (
    ANSWER_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
    Inquiry,
    InquiryCategory,
)

# --- the detail (in the case's API answer) -------------------------------------------------


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = InquiryCategory
        fields = ["code", "name", "reply_days"]


class InquirySerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer()
    email = serializers.SerializerMethodField(
        help_text="The reply address of an e-mail inquiry, masked (z***@example.com)."
    )
    answered_by = UserRefSerializer(allow_null=True)
    converted_to = api_fields.CharField(
        source="converted_to.number",
        default=None,
        allow_null=True,
        help_text="The number of the case the inquiry was turned into.",
    )

    class Meta:
        model = Inquiry
        fields = [
            "category",
            "question",
            "email",
            "answer",
            "answered_by",
            "answered_at",
            "answer_channel",
            "converted_to",
        ]

    @extend_schema_field(api_fields.CharField())
    def get_email(self, detail: Inquiry) -> str:
        return mask_email(detail.email) if detail.email else ""


# --- intake --------------------------------------------------------------------------------


class InquiryIntakeSerializer(serializers.Serializer):
    """An inquiry: with ``answer`` it was answered at intake and is closed at once; without,
    the category's department answers it within the category's working days."""

    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    contact_name = api_fields.CharField(max_length=100)
    contact_phone = api_fields.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required except for an e-mail inquiry.",
    )
    email = api_fields.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        default="",
        help_text="The reply address; required for an e-mail inquiry of a customer without one.",
    )
    customer = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Customer.objects.all(),
        required=False,
        help_text="The public id of the customer asking, if known.",
    )
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=InquiryCategory.objects.all(),
        help_text="billing, connection, water_quality, outage, other, …",
    )
    question = api_fields.CharField(max_length=QUESTION_MAX_LENGTH)
    answer = api_fields.CharField(
        max_length=ANSWER_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The answer given at intake, if any.",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    green_channel_reason = api_fields.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


# --- one serializer per action -------------------------------------------------------------


class InquiryAnswerSerializer(serializers.Serializer):
    answer = api_fields.CharField(
        max_length=ANSWER_MAX_LENGTH,
        allow_blank=True,  # the service refuses a blank answer with its own code
        help_text="Sent to the customer by e-mail (e-mail inquiries) or SMS (the others).",
    )
