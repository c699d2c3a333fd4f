"""The API input of repair intake (``POST /api/repairs/``). Types and shapes only: the
service owns the rules (urgency never lowered, duplicates, the green channel)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from waterdesk.cases.models import Channel
from waterdesk.core.api import fields as api_fields
from waterdesk.customers.models import Account, Customer, Premise, SupplyZone
from waterdesk.repairs.models import DESCRIPTION_MAX_LENGTH, FaultType, Urgency


class RepairIntakeSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    contact_name = api_fields.CharField(max_length=100, help_text="The caller.")
    contact_phone = api_fields.CharField(max_length=32, help_text="The caller's phone.")
    address = api_fields.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Where the fault is; may be left out with `premise` or `account`.",
    )
    premise = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Premise.objects.select_related("zone"),
        required=False,
        allow_null=True,
        default=None,
        help_text="The public id of the premise, when known.",
    )
    account = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Account.objects.select_related("premise__zone", "customer"),
        required=False,
        allow_null=True,
        default=None,
        help_text="An account number: the fault is at its premise, its holder the customer.",
    )
    customer = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Customer.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The public id of the caller as a customer, if known.",
    )
    zone = serializers.SlugRelatedField(
        slug_field="code",
        queryset=SupplyZone.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Supply zone code, for an address not on file (zone-wide faults).",
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )
    fault_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=FaultType.objects.all(),
        help_text="burst_main, leak, no_water, low_pressure, meter_fault, discoloured_water, "
        "other, …",
    )
    description = api_fields.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    urgency = serializers.ChoiceField(
        choices=Urgency.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Left out: the fault type's default. May raise general to urgent, never "
        "lower (`urgency_below_default`).",
    )
    green_channel_reason = api_fields.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Given: the green channel (hospital, elderly living alone, no water at all).",
    )
    link_to = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The public id of an open repair this report joins: the caller becomes "
        "one of its contacts (answered 200 with that case).",
    )
    confirm_new = serializers.BooleanField(
        default=False,
        help_text="The caller's fault is not one of the proposed duplicates: open a new repair.",
    )
    follows = serializers.UUIDField(
        required=False,
        help_text="Public id of the case of another kind (an inquiry) this report comes "
        "from; both cases record the link.",
    )

    def validate(self, attrs):
        if attrs.get("link_to") and attrs.get("confirm_new"):
            raise serializers.ValidationError(
                {"confirm_new": [_("并入已有报修时不能同时确认为新报修。")]}
            )
        return attrs
