"""Serializers of the REST API: input serializers check types and shapes only (the services
own the business rules); output serializers render what the selectors return."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.applications.models import (
    CollectiveDecision,
    CollectiveReview,
    FeeLine,
    MaterialNotice,
    NewConnection,
    NewConnectionStatus,
    OwnershipTransfer,
    OwnershipTransferStatus,
    UsageChange,
    UsageChangeStatus,
)
from waterdesk.applications.selectors import (
    change_materials_missing,
    new_connection_materials_missing,
    new_connection_needs_collective_review,
)
from waterdesk.applications.workflow import INTERNAL_ACTIONS
from waterdesk.billing.models import Bill, MeterRead, Tariff
from waterdesk.cases.access import case_contact_phone
from waterdesk.cases.models import (
    ATTACHMENT_WITHDRAWAL_REASON_MAX_LENGTH,
    Attachment,
    Case,
    CaseEvent,
    CaseKind,
    Channel,
    Priority,
)
from waterdesk.cases.selectors import case_available_actions, case_timeline
from waterdesk.core.api import fields as api_fields
from waterdesk.core.masking import mask_id_number, mask_mobile
from waterdesk.core.money import MoneyField
from waterdesk.customers.models import (
    AccessChannel,
    Account,
    Customer,
    CustomerKind,
    Premise,
    SupplyZone,
    UsageCategory,
)
from waterdesk.customers.privacy import CUSTOMER_FIELDS
from waterdesk.sla.calendar import load_calendar
from waterdesk.sla.models import SlaClock
from waterdesk.sla.selectors import case_clocks, clock_status_label

# The status enum of each case kind, for the human label of a status.
STATUS_CHOICES = {
    CaseKind.NEW_CONNECTION: NewConnectionStatus,
    CaseKind.OWNERSHIP_TRANSFER: OwnershipTransferStatus,
    CaseKind.USAGE_CHANGE: UsageChangeStatus,
}


def _money_field(**kwargs) -> serializers.DecimalField:
    # Bounded by WATERDESK_MONEY_MAX_AMOUNT (shown as ``maximum`` in the schema).
    return MoneyField(**kwargs)


# --- errors (schema only) -------------------------------------------------------------


# --- small references -----------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    username = api_fields.CharField(source="get_username")
    full_name = api_fields.CharField(source="get_full_name")


class ZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplyZone
        fields = ["code", "name"]


class PremiseSerializer(serializers.ModelSerializer):
    zone = ZoneSerializer()

    class Meta:
        model = Premise
        fields = ["public_id", "address", "district", "zone"]


class DepartmentRefSerializer(serializers.Serializer):
    code = api_fields.CharField()
    name = api_fields.CharField()


# --- customers ------------------------------------------------------------------------


class CustomerListSerializer(serializers.ModelSerializer):
    """A search hit: ID number and mobile are masked (first and last digits kept)."""

    id_number = serializers.SerializerMethodField()
    mobile = serializers.SerializerMethodField()
    account_numbers = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "public_id",
            "kind",
            "name",
            "id_number",
            "mobile",
            "is_vulnerable",
            "account_numbers",
        ]

    def get_id_number(self, customer: Customer) -> str:
        return mask_id_number(customer.id_number)

    def get_mobile(self, customer: Customer) -> str:
        return mask_mobile(customer.mobile)

    def get_account_numbers(self, customer: Customer) -> list[str]:
        return [account.number for account in customer.accounts.all()]


class AccountSerializer(serializers.ModelSerializer):
    premise = PremiseSerializer()

    class Meta:
        model = Account
        fields = [
            "public_id",
            "number",
            "premise",
            "usage_category",
            "household_size",
            "status",
            "opened_at",
        ]


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as the requesting user may see it: ID number, mobile, e-mail and contact
    address in full only where the personal-data policy grants it to the user's work;
    ``masked_fields`` lists the masked ones (``POST …/reveal/`` shows one, with a reason).
    Needs ``personal`` (``customer_personal_data``) in the context."""

    accounts = AccountSerializer(many=True)
    id_number = serializers.SerializerMethodField()
    mobile = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    contact_address = serializers.SerializerMethodField()
    masked_fields = serializers.SerializerMethodField()

    def _shown(self, field: str) -> str:
        return self.context["personal"][field].value

    def get_id_number(self, customer: Customer) -> str:
        return self._shown("id_number")

    def get_mobile(self, customer: Customer) -> str:
        return self._shown("mobile")

    def get_email(self, customer: Customer) -> str:
        return self._shown("email")

    def get_contact_address(self, customer: Customer) -> str:
        return self._shown("contact_address")

    def get_masked_fields(self, customer: Customer) -> list[str]:
        return [
            field
            for field, shown in self.context["personal"].items()
            if shown.value and not shown.is_full
        ]

    class Meta:
        model = Customer
        fields = [
            "public_id",
            "kind",
            "name",
            "id_number",
            "mobile",
            "email",
            "contact_address",
            "masked_fields",
            "is_vulnerable",
            "created_at",
            "accounts",
        ]


class CustomerRevealRequestSerializer(serializers.Serializer):
    # The fields that can be revealed here, listed in the schema so that clients know them.
    field = serializers.ChoiceField(choices=[field.value for field in CUSTOMER_FIELDS])
    reason = api_fields.CharField(
        max_length=200, help_text="Why the full value is needed (logged), e.g. 回电核实地址."
    )


class CaseRevealRequestSerializer(CustomerRevealRequestSerializer):
    field = serializers.ChoiceField(choices=["contact_phone"])


class RevealResponseSerializer(serializers.Serializer):
    field = api_fields.CharField()
    value = api_fields.CharField()


class CustomerCreateSerializer(serializers.Serializer):
    """Types only; ID number, mobile and e-mail are checked by ``customer_create``."""

    kind = serializers.ChoiceField(choices=CustomerKind.choices)
    name = api_fields.CharField(max_length=300)
    id_number = api_fields.CharField(max_length=64)
    mobile = api_fields.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = api_fields.CharField(max_length=254, required=False, allow_blank=True, default="")
    contact_address = api_fields.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    is_vulnerable = serializers.BooleanField(required=False, default=False)


class CustomerSearchQuerySerializer(serializers.Serializer):
    q = api_fields.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Name, mobile (or its last 4+ digits), ID number, account number or address.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=20)


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
        choices = STATUS_CHOICES.get(case.kind)
        if choices is None or case.status not in choices.values:
            return case.status
        return str(choices(case.status).label)


class QueueCaseSerializer(CaseListSerializer):
    next_due_at = serializers.DateTimeField(
        allow_null=True, help_text="Nearest deadline of the case's running clocks."
    )

    class Meta(CaseListSerializer.Meta):
        fields = [*CaseListSerializer.Meta.fields, "next_due_at"]


class CaseListQuerySerializer(serializers.Serializer):
    # In a query an empty value means "not given" (``kind=``): no filter.
    kind = serializers.ChoiceField(choices=CaseKind.choices, required=False, allow_blank=True)
    status = api_fields.CharField(max_length=40, required=False, allow_blank=True)
    open = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: open cases only; false: closed cases only; absent: both.",
    )


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
    uploaded_by = UserRefSerializer()
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


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG or PNG, up to the configured size.")
    material_code = serializers.SlugField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The checklist material this file shows (e.g. id_card).",
    )


class MaterialSerializer(serializers.Serializer):
    code = api_fields.CharField()
    name = api_fields.CharField()


class MaterialNoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaterialNotice
        fields = ["missing", "issued_at", "deadline", "fulfilled_at"]


class FeeLineSerializer(serializers.ModelSerializer):
    item = api_fields.CharField(source="item.code")
    item_name = api_fields.CharField(source="item.name")

    class Meta:
        model = FeeLine
        fields = ["item", "item_name", "quantity", "unit_price", "amount"]


class CollectiveReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = CollectiveReview
        fields = ["meeting_date", "participants", "decision", "minutes", "recorded_at"]


class NewConnectionSerializer(serializers.ModelSerializer):
    surveyor = UserRefSerializer(allow_null=True)
    reviewed_by = UserRefSerializer(allow_null=True)
    approved_by = UserRefSerializer(allow_null=True)
    meter = api_fields.CharField(source="meter.serial", default=None, allow_null=True)
    account = api_fields.CharField(source="account.number", default=None, allow_null=True)
    materials_missing = serializers.SerializerMethodField()
    needs_collective_review = serializers.SerializerMethodField()
    material_notices = serializers.SerializerMethodField()
    fee_lines = serializers.SerializerMethodField()
    collective_review = serializers.SerializerMethodField()

    class Meta:
        model = NewConnection
        fields = [
            "requested_usage",
            "requested_size_dn",
            "household_size",
            "is_major",
            "materials_received",
            "materials_missing",
            "material_notices",
            "surveyor",
            "survey_booked_for",
            "survey_preparation",
            "installation_position",
            "surveyed_usage",
            "site_conditions",
            "facilities",
            "notes_explained",
            "surveyed_at",
            "first_review_opinion",
            "reviewed_by",
            "reviewed_at",
            "estimated_amount",
            "needs_collective_review",
            "collective_review",
            "approval_opinion",
            "approved_by",
            "approved_at",
            "rejection_reason",
            "fee_lines",
            "fee_total",
            "fee_due_date",
            "paid_amount",
            "payment_reference",
            "paid_at",
            "meter",
            "account",
            "water_on_at",
        ]

    @extend_schema_field(MaterialSerializer(many=True))
    def get_materials_missing(self, detail: NewConnection):
        return MaterialSerializer(new_connection_materials_missing(detail.case), many=True).data

    def get_needs_collective_review(self, detail: NewConnection) -> bool:
        return new_connection_needs_collective_review(detail.case)

    @extend_schema_field(MaterialNoticeSerializer(many=True))
    def get_material_notices(self, detail: NewConnection):
        notices = detail.case.material_notices.order_by("issued_at", "pk")
        return MaterialNoticeSerializer(notices, many=True).data

    @extend_schema_field(FeeLineSerializer(many=True))
    def get_fee_lines(self, detail: NewConnection):
        lines = detail.case.fee_lines.select_related("item").order_by("pk")
        return FeeLineSerializer(lines, many=True).data

    @extend_schema_field(CollectiveReviewSerializer(allow_null=True))
    def get_collective_review(self, detail: NewConnection):
        review = CollectiveReview.objects.filter(case=detail.case).first()
        return CollectiveReviewSerializer(review).data if review is not None else None


class ChecklistItemSerializer(serializers.Serializer):
    codes = serializers.ListField(
        child=api_fields.CharField(), help_text="Any one of these materials satisfies the item."
    )
    name = api_fields.CharField()


class ReadRefSerializer(serializers.ModelSerializer):
    kind = api_fields.CharField(help_text="transfer, change, actual, … (billing read kinds)")
    status = api_fields.CharField(help_text="validated, needs_review or rejected.")

    class Meta:
        model = MeterRead
        fields = ["read_on", "value", "kind", "status", "consumption", "issues"]


class BillRefSerializer(serializers.ModelSerializer):
    kind = api_fields.CharField(help_text="final (a bill up to a transfer/change read) or cycle.")

    class Meta:
        model = Bill
        fields = [
            "public_id",
            "number",
            "kind",
            "period_start",
            "period_end",
            "volume",
            "amount",
            "due_date",
        ]


class _ChangeDetailSerializer(serializers.ModelSerializer):
    account = api_fields.CharField(source="account.number")
    materials_missing = serializers.SerializerMethodField()
    material_notices = serializers.SerializerMethodField()

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_materials_missing(self, detail):
        return ChecklistItemSerializer(change_materials_missing(detail.case), many=True).data

    @extend_schema_field(MaterialNoticeSerializer(many=True))
    def get_material_notices(self, detail):
        notices = detail.case.material_notices.order_by("issued_at", "pk")
        return MaterialNoticeSerializer(notices, many=True).data


class OwnershipTransferSerializer(_ChangeDetailSerializer):
    previous_customer = CustomerListSerializer()
    new_customer = CustomerListSerializer()
    verified_by = UserRefSerializer(allow_null=True)
    transfer_read = ReadRefSerializer(allow_null=True)
    final_bill = BillRefSerializer(allow_null=True)

    class Meta:
        model = OwnershipTransfer
        fields = [
            "account",
            "previous_customer",
            "new_customer",
            "materials_received",
            "materials_missing",
            "material_notices",
            "verification_opinion",
            "verified_by",
            "verified_at",
            "rejection_reason",
            "transfer_read",
            "final_bill",
            "balance_after_final_bill",
            "settlement",
            "carried_balance",
            "completed_at",
        ]


class UsageChangeSerializer(_ChangeDetailSerializer):
    requested_tariff = api_fields.CharField(
        source="requested_tariff.code", default=None, allow_null=True
    )
    applied_tariff = api_fields.CharField(
        source="applied_tariff.code", default=None, allow_null=True
    )
    surveyor = UserRefSerializer(allow_null=True)
    verified_by = UserRefSerializer(allow_null=True)
    approved_by = UserRefSerializer(allow_null=True)
    change_read = ReadRefSerializer(allow_null=True)
    split_bill = BillRefSerializer(allow_null=True)

    class Meta:
        model = UsageChange
        fields = [
            "account",
            "previous_usage",
            "requested_usage",
            "requested_tariff",
            "materials_received",
            "materials_missing",
            "material_notices",
            "verification_method",
            "surveyor",
            "survey_findings",
            "verified_usage",
            "verification_opinion",
            "verified_by",
            "verified_at",
            "approval_opinion",
            "approved_by",
            "approved_at",
            "effective_date",
            "rejection_reason",
            "change_read",
            "split_bill",
            "applied_tariff",
            "price_summary",
            "completed_at",
        ]


class CaseDetailSerializer(CaseListSerializer):
    """A case with its kind's detail, SLA clocks, the actions this user may take now and
    the timeline. Needs ``request`` in the context."""

    customer = serializers.SerializerMethodField()
    premise = PremiseSerializer(allow_null=True)
    department = DepartmentRefSerializer(allow_null=True)
    assignee = UserRefSerializer(allow_null=True)
    opened_by = UserRefSerializer(allow_null=True)
    new_connection = NewConnectionSerializer(allow_null=True)
    ownership_transfer = OwnershipTransferSerializer(allow_null=True)
    usage_change = UsageChangeSerializer(allow_null=True)
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
            "new_connection",
            "ownership_transfer",
            "usage_change",
            "clocks",
            "available_actions",
            "timeline",
            "attachments",
        ]

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
        actions = case_available_actions(case=case, user=self.context["request"].user)
        actions = [t for t in actions if t.action not in INTERNAL_ACTIONS]
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


# --- new connection: intake -----------------------------------------------------------


class NewConnectionIntakeSerializer(serializers.Serializer):
    """Either ``customer`` (an existing customer's public id) or ``customer_data`` (a new
    customer); either ``premise`` (public id) or ``premise_address`` + ``zone`` (code)."""

    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    contact_name = api_fields.CharField(max_length=100)
    contact_phone = api_fields.CharField(max_length=32)
    customer = serializers.SlugRelatedField(
        slug_field="public_id", queryset=Customer.objects.all(), required=False
    )
    customer_data = CustomerCreateSerializer(required=False)
    premise = serializers.SlugRelatedField(
        slug_field="public_id", queryset=Premise.objects.all(), required=False
    )
    premise_address = api_fields.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    zone = serializers.SlugRelatedField(
        slug_field="code",
        queryset=SupplyZone.objects.all(),
        required=False,
        help_text="Supply zone code, with premise_address.",
    )
    district = api_fields.CharField(max_length=50, required=False, allow_blank=True, default="")
    requested_usage = serializers.ChoiceField(
        choices=UsageCategory.choices, default=UsageCategory.RESIDENTIAL
    )
    requested_size_dn = serializers.IntegerField(min_value=15, max_value=600, default=20)
    household_size = serializers.IntegerField(min_value=1, max_value=99, default=3)
    is_major = serializers.BooleanField(default=False)
    materials_received = serializers.ListField(
        child=serializers.SlugField(max_length=40),
        default=list,
        help_text="Codes of the checklist materials the customer brought (e.g. id_card).",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    green_channel_reason = api_fields.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    summary = api_fields.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if "customer" in attrs and "customer_data" in attrs:
            raise serializers.ValidationError(
                {"customer_data": [_("不能同时选择已有客户和登记新客户。")]}
            )
        if "premise" in attrs and (attrs.get("premise_address") or "zone" in attrs):
            raise serializers.ValidationError(
                {"premise_address": [_("不能同时选择已有地址和填写新地址。")]}
            )
        return attrs


# --- new connection: one serializer per action ----------------------------------------


class SupplyMaterialsSerializer(serializers.Serializer):
    materials = serializers.ListField(
        child=serializers.SlugField(max_length=40), allow_empty=False, min_length=1
    )
    note = api_fields.CharField(max_length=2000, required=False, allow_blank=True, default="")


class WithdrawSerializer(serializers.Serializer):
    reason = api_fields.CharField(max_length=2000)


class AssignSurveySerializer(serializers.Serializer):
    surveyor = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="Username of a surveyor.",
    )


class BookSurveySerializer(serializers.Serializer):
    booked_for = serializers.DateTimeField(help_text="Without an offset: Asia/Shanghai time.")
    preparation = api_fields.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the customer should have ready.",
    )


class SubmitSurveySerializer(serializers.Serializer):
    installation_position = api_fields.CharField(max_length=200)
    surveyed_usage = serializers.ChoiceField(choices=UsageCategory.choices)
    site_conditions = api_fields.CharField(max_length=4000)
    facilities = api_fields.CharField(max_length=4000)
    notes_explained = api_fields.CharField(max_length=4000)
    estimated_amount = _money_field(min_value=Decimal("0"), default=Decimal("0.00"))


class OpinionSerializer(serializers.Serializer):
    opinion = api_fields.CharField(max_length=4000)


class CollectiveReviewInputSerializer(serializers.Serializer):
    meeting_date = serializers.DateField()
    participants = api_fields.CharField(max_length=2000)
    decision = serializers.ChoiceField(choices=CollectiveDecision.choices)
    minutes = api_fields.CharField(max_length=8000, required=False, allow_blank=True, default="")


class FeeLineInputSerializer(serializers.Serializer):
    item = serializers.SlugField(max_length=40, help_text="Fee item code.")
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))


class AssessFeeSerializer(serializers.Serializer):
    lines = FeeLineInputSerializer(many=True, allow_empty=False)

    def validate_lines(self, lines):
        # The service takes (item code, quantity) pairs.
        return [(line["item"], line["quantity"]) for line in lines]


class RecordPaymentSerializer(serializers.Serializer):
    amount = _money_field(min_value=Decimal("0"))
    reference = api_fields.CharField(max_length=64, help_text="Receipt or transaction number.")


class InstallMeterSerializer(serializers.Serializer):
    meter_serial = api_fields.CharField(max_length=40)
    size_dn = serializers.IntegerField()
    initial_reading = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0")
    )


class EmptySerializer(serializers.Serializer):
    pass


class TurnWaterOnSerializer(serializers.Serializer):
    note = api_fields.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- ownership transfer and usage change ----------------------------------------------


class _ChangeIntakeSerializer(serializers.Serializer):
    account = serializers.SlugRelatedField(
        slug_field="number", queryset=Account.objects.all(), help_text="Account number."
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    contact_name = api_fields.CharField(max_length=100)
    contact_phone = api_fields.CharField(max_length=32)
    materials_received = serializers.ListField(
        child=serializers.SlugField(max_length=40),
        default=list,
        help_text="Codes of the checklist materials the customer brought.",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    green_channel_reason = api_fields.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    summary = api_fields.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OwnershipTransferIntakeSerializer(_ChangeIntakeSerializer):
    """The new owner: either ``new_customer`` (an existing customer's public id) or
    ``new_customer_data`` (registered now). Materials: the new owner's ``id_card`` and
    ``property_certificate`` (an organisation also ``business_licence``)."""

    new_customer = serializers.SlugRelatedField(
        slug_field="public_id", queryset=Customer.objects.all(), required=False
    )
    new_customer_data = CustomerCreateSerializer(required=False)

    def validate(self, attrs):
        if "new_customer" in attrs and "new_customer_data" in attrs:
            raise serializers.ValidationError(
                {"new_customer_data": [_("不能同时选择已有客户和登记新客户。")]}
            )
        return attrs


class UsageChangeIntakeSerializer(_ChangeIntakeSerializer):
    """Materials: ``business_licence`` or ``authority_approval`` (either one)."""

    requested_usage = serializers.ChoiceField(choices=UsageCategory.choices)
    requested_tariff = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Tariff.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Code of a special tariff of the requested category; default: the "
        "category's default tariff.",
    )


class VerifyUsageSerializer(serializers.Serializer):
    verified_usage = serializers.ChoiceField(choices=UsageCategory.choices)
    opinion = api_fields.CharField(max_length=4000)


class RecordSurveySerializer(VerifyUsageSerializer):
    findings = api_fields.CharField(max_length=4000)


class ApproveChangeSerializer(serializers.Serializer):
    opinion = api_fields.CharField(max_length=4000)
    effective_date = serializers.DateField(
        help_text="Today or later: the change read is taken that day; the new price applies "
        "to the water used after it."
    )


class RecordReadSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    read_on = serializers.DateField(
        required=False,
        default=None,
        allow_null=True,
        help_text="Transfer: any day from intake (default today). Usage change: the "
        "effective date (the default).",
    )
    note = api_fields.CharField(max_length=300, required=False, allow_blank=True, default="")


class CompleteSerializer(serializers.Serializer):
    note = api_fields.CharField(max_length=2000, required=False, allow_blank=True, default="")


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
