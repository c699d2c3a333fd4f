"""Serializers of the cross-kind API: cases (list, detail with the kind's own detail from
the registry, clocks, timeline, attachments) and the calendar. Each kind's inputs and
detail live in its app."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.cases.access import case_contact_phone
from waterdesk.cases.kinds import action_offered, all_kinds, kind_choices, kind_spec
from waterdesk.cases.models import (
    ATTACHMENT_WITHDRAWAL_REASON_MAX_LENGTH,
    Attachment,
    Case,
    CaseEvent,
)
from waterdesk.cases.selectors import case_available_actions, case_timeline
from waterdesk.cases.services import REASSIGN_REASON_MAX_LENGTH
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import DepartmentRefSerializer, UserRefSerializer
from waterdesk.customers.models import AccessChannel
from waterdesk.customers.serializers import (
    CustomerListSerializer,
    CustomerRevealRequestSerializer,
    PremiseSerializer,
)
from waterdesk.sla.calendar import load_calendar
from waterdesk.sla.models import SlaClock
from waterdesk.sla.selectors import case_clocks, clock_status_label

# --- cases ----------------------------------------------------------------------------


class CaseListSerializer(serializers.ModelSerializer):
    kind_display = api_fields.CharField(source="get_kind_display")
    status_display = serializers.SerializerMethodField()
    customer_name = api_fields.CharField(source="customer.name", default=None, allow_null=True)
    premise_address = api_fields.CharField(source="premise.address", default=None, allow_null=True)
    assignee = api_fields.CharField(source="assignee.username", default=None, allow_null=True)
    is_open = serializers.BooleanField()

    class Meta:
        model = Case
        fields = [
            "public_id",
            "number",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "channel",
            "priority",
            "customer_name",
            "premise_address",
            "assignee",
            "opened_at",
            "closed_at",
            "is_open",
            "version",
        ]

    def get_status_display(self, case: Case) -> str:
        return kind_spec(case.kind).status_label(case.status)


class QueueCaseSerializer(CaseListSerializer):
    next_due_at = serializers.DateTimeField(
        allow_null=True, help_text="Nearest deadline of the case's running clocks."
    )

    class Meta(CaseListSerializer.Meta):
        fields = [*CaseListSerializer.Meta.fields, "next_due_at"]


class CaseListQuerySerializer(serializers.Serializer):
    # In a query an empty value means "not given" (``kind=``): no filter.
    kind = serializers.ChoiceField(choices=(), required=False, allow_blank=True)
    status = api_fields.CharField(max_length=40, required=False, allow_blank=True)
    open = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: open cases only; false: closed cases only; absent: both.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()


class ClockSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="met, breached, at_risk, on_track, paused or cancelled."
    )

    class Meta:
        model = SlaClock
        fields = [
            "milestone",
            "unit",
            "amount",
            "state",
            "status",
            "started_at",
            "due_at",
            "paused_at",
            "paused_minutes",
            "stopped_at",
            "at_risk_at",
            "breached_at",
            "is_late",
        ]

    def get_status(self, clock: SlaClock) -> str:
        return clock_status_label(clock, self.context["now"], calendar=self.context["calendar"])


class EventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["at", "actor", "action", "from_status", "to_status", "note", "data"]


class AvailableActionSerializer(serializers.Serializer):
    action = api_fields.CharField(help_text="POST /api/cases/{public_id}/actions/{action}/")
    label = api_fields.CharField()
    target = api_fields.CharField(help_text="The status the case moves to.")


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserRefSerializer(allow_null=True)
    withdrawn_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = Attachment
        fields = [
            "public_id",
            "material_code",
            "original_name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_at",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawal_reason",
        ]


class AttachmentWithdrawSerializer(serializers.Serializer):
    reason = api_fields.CharField(
        max_length=ATTACHMENT_WITHDRAWAL_REASON_MAX_LENGTH,
        allow_blank=True,  # the service refuses a blank reason with its own code
        help_text="Why the file is withdrawn (e.g. the wrong customer's ID card). Required.",
    )


class CaseAssignSerializer(serializers.Serializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="Login of the new owner; their role must have a move on the case now.",
    )
    reason = api_fields.CharField(
        # The service refuses a blank or too long reason (after cleaning) with its own code.
        allow_blank=True,
        help_text="Why the case changes hands (recorded on the timeline). Required, at most "
        f"{REASSIGN_REASON_MAX_LENGTH} characters.",
    )


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG or PNG, up to the configured size.")
    material_code = serializers.SlugField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The checklist material this file shows (e.g. id_card).",
    )


def _own_kind_only(field, kind: str):
    """``field`` (a kind's detail serializer) reads its relation only on cases of ``kind``:
    the other kinds' details are null without a query each."""
    read = field.get_attribute

    def get_attribute(case):
        return read(case) if case.kind == kind else None

    field.get_attribute = get_attribute
    return field


class CaseDetailSerializer(CaseListSerializer):
    """A case with its kind's detail, SLA clocks, the actions this user may take now and
    the timeline. Needs ``request`` in the context."""

    customer = serializers.SerializerMethodField()
    premise = PremiseSerializer(allow_null=True)
    department = DepartmentRefSerializer(allow_null=True)
    assignee = UserRefSerializer(allow_null=True)
    opened_by = UserRefSerializer(allow_null=True)
    clocks = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField(
        help_text="Full for the staff handling the case, masked for others "
        "(`contact_phone_masked`); `POST …/reveal/` shows it with a reason."
    )
    contact_phone_masked = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "customer",
            "premise",
            "contact_name",
            "contact_phone",
            "contact_phone_masked",
            "department",
            "opened_by",
            "green_channel_reason",
            "summary",
            "clocks",
            "available_actions",
            "timeline",
            "attachments",
        ]

    def get_fields(self):
        """The case's fields with one detail field per registered kind after ``summary``
        (the kind's ``detail_field``: ``new_connection``, …; null on other kinds' cases)."""
        fields = {}
        for name, field in super().get_fields().items():
            fields[name] = field
            if name == "summary":
                for spec in all_kinds():
                    if spec.detail_field and spec.detail_serializer is not None:
                        fields[spec.detail_field] = _own_kind_only(
                            spec.detail_serializer(allow_null=True), spec.kind
                        )
        return fields

    def _contact_phone(self, case: Case):
        # Both fields read one decision (and one access-log row) per case.
        key = f"contact_phone:{case.pk}"
        if key not in self.context:
            self.context[key] = case_contact_phone(
                user=self.context["request"].user, case=case, channel=AccessChannel.API
            )
        return self.context[key]

    def get_contact_phone(self, case: Case) -> str:
        return self._contact_phone(case).value

    def get_contact_phone_masked(self, case: Case) -> bool:
        shown = self._contact_phone(case)
        return bool(shown.value) and not shown.is_full

    @extend_schema_field(CustomerListSerializer(allow_null=True))
    def get_customer(self, case: Case):
        return CustomerListSerializer(case.customer).data if case.customer else None

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, case: Case):
        context = {"now": timezone.now(), "calendar": load_calendar()}
        return ClockSerializer(case_clocks(case), many=True, context=context).data

    @extend_schema_field(AvailableActionSerializer(many=True))
    def get_available_actions(self, case: Case):
        user = self.context["request"].user
        spec = kind_spec(case.kind)
        actions = [
            t
            for t in case_available_actions(case=case, user=user)
            if action_offered(spec, t, case, user)
        ]
        return AvailableActionSerializer(actions, many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, case: Case):
        return EventSerializer(case_timeline(case), many=True).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, case: Case):
        attachments = case.attachments.select_related("uploaded_by", "withdrawn_by").order_by(
            "uploaded_at", "pk"
        )
        return AttachmentSerializer(attachments, many=True).data


class CaseRevealRequestSerializer(CustomerRevealRequestSerializer):
    field = serializers.ChoiceField(choices=["contact_phone"])


# --- calendar -------------------------------------------------------------------------


class DueQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField(
        required=False, help_text="Start (day 0); without an offset: Asia/Shanghai. Default now."
    )
    working_days = serializers.IntegerField(min_value=0, required=False)
    working_hours = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0"), required=False
    )
    hours = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="Calendar hours.",
    )

    def validate(self, attrs):
        given = [name for name in ("working_days", "working_hours", "hours") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": [_("请给出 working_days、working_hours 或 hours 中的一项。")]}
            )
        return attrs


class DueSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    unit = api_fields.CharField(help_text="working_days, working_hours or calendar_hours.")
    amount = serializers.DecimalField(max_digits=8, decimal_places=2)
    due_at = serializers.DateTimeField()
    provisional_years = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Years on the way whose official holiday schedule is not confirmed: "
        "the due time may still move.",
    )
