"""The repair detail in the case's API answer (``repair``): the fault, the place, the
callers (phones as the personal-data policy lets the user see them), the crews' work orders
and the follow-up calls."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import UserRefSerializer
from waterdesk.customers.models import AccessChannel
from waterdesk.fieldwork.models import WorkOrder
from waterdesk.repairs.models import FaultType, FollowUp, Repair, RepairContact
from waterdesk.repairs.selectors.case import (
    repair_contact_phone,
    repair_contacts,
    repair_follow_ups,
    repair_work_orders,
)


class FaultTypeRefSerializer(serializers.ModelSerializer):
    # Plain text: the same choices as the repair's ``urgency`` under another name would be
    # a second enum in the schema.
    default_urgency = api_fields.CharField(help_text="urgent or general.")

    class Meta:
        model = FaultType
        fields = ["code", "name", "default_urgency", "zone_wide", "informs_quality"]


class RepairContactSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField(
        help_text="Full for the staff handling the repair, masked for others."
    )
    phone_masked = serializers.SerializerMethodField()

    class Meta:
        model = RepairContact
        fields = ["name", "phone", "phone_masked", "address", "channel", "reported_at", "note"]

    def _shown(self, contact: RepairContact):
        key = f"repair_contact_phone:{contact.pk}"
        if key not in self.context:
            self.context[key] = repair_contact_phone(
                user=self.context["request"].user,
                case=contact.repair.case,
                contact=contact,
                channel=AccessChannel.API,
            )
        return self.context[key]

    def get_phone(self, contact: RepairContact) -> str:
        return self._shown(contact).value

    def get_phone_masked(self, contact: RepairContact) -> bool:
        shown = self._shown(contact)
        return bool(shown.value) and not shown.is_full


class RepairWorkOrderSerializer(serializers.ModelSerializer):
    crew = api_fields.CharField(source="crew.code", help_text="The crew's code.")
    crew_name = api_fields.CharField(source="crew.name")

    class Meta:
        model = WorkOrder
        fields = [
            "public_id",
            "number",
            "crew",
            "crew_name",
            "status",
            "urgent",
            "window_start",
            "window_end",
            "assigned_at",
            "accepted_at",
            "contacted_at",
            "en_route_at",
            "arrived_at",
            "work_done_at",
            "closed_at",
            "expected_done_at",
            "not_completed_reason",
        ]


class RepairFollowUpSerializer(serializers.ModelSerializer):
    called_by = UserRefSerializer()

    class Meta:
        model = FollowUp
        fields = ["outcome", "satisfaction", "comments", "referred", "called_by", "called_at"]


class RepairSerializer(serializers.ModelSerializer):
    fault_type = FaultTypeRefSerializer()
    zone = api_fields.CharField(source="zone.code", default=None, allow_null=True)
    account = api_fields.CharField(source="account.number", default=None, allow_null=True)
    completed_by_crew = api_fields.CharField(
        source="completed_by_crew.code", default=None, allow_null=True
    )
    failed_by = api_fields.CharField(
        source="failed_by.number",
        default=None,
        allow_null=True,
        help_text="The repeat report that marked this repair failed (the pass rate).",
    )
    incident = api_fields.CharField(
        source="incident.number",
        default=None,
        allow_null=True,
        help_text="The incident the report is linked to (status linked): no crew is sent.",
    )
    contacts = serializers.SerializerMethodField()
    work_orders = serializers.SerializerMethodField()
    follow_ups = serializers.SerializerMethodField()

    class Meta:
        model = Repair
        fields = [
            "fault_type",
            "urgency",
            "description",
            "address",
            "zone",
            "account",
            "latitude",
            "longitude",
            "reported_at",
            "dispatched_at",
            "arrived_at",
            "completed_at",
            "completed_by_crew",
            "failed",
            "failed_by",
            "incident",
            "contacts",
            "work_orders",
            "follow_ups",
        ]

    @extend_schema_field(RepairContactSerializer(many=True))
    def get_contacts(self, repair: Repair):
        contacts = list(repair_contacts(repair).select_related("repair__case"))
        return RepairContactSerializer(contacts, many=True, context=self.context).data

    @extend_schema_field(RepairWorkOrderSerializer(many=True))
    def get_work_orders(self, repair: Repair):
        return RepairWorkOrderSerializer(repair_work_orders(repair.case), many=True).data

    @extend_schema_field(RepairFollowUpSerializer(many=True))
    def get_follow_ups(self, repair: Repair):
        return RepairFollowUpSerializer(repair_follow_ups(repair), many=True).data
