"""API serializers of the application kinds: each kind's detail (shown in the case's
answer) and the inputs of its intake and actions. Input serializers check types and
shapes only (the services own the business rules); ``validated_data`` are the service's
keyword arguments."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from waterdesk.applications.models import (
    CollectiveDecision,
    CollectiveReview,
    FeeLine,
    MaterialNotice,
    NewConnection,
    OwnershipTransfer,
    UsageChange,
)
from waterdesk.applications.selectors import (
    change_materials_missing,
    new_connection_materials_missing,
    new_connection_needs_collective_review,
)
from waterdesk.billing.models import Bill, MeterRead, Tariff
from waterdesk.cases.models import (
    Channel,
    Priority,
)
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.serializers import UserRefSerializer
from waterdesk.core.money import MoneyField
from waterdesk.customers.models import (
    Account,
    Customer,
    Premise,
    Route,
    SupplyZone,
    UsageCategory,
)
from waterdesk.customers.serializers import CustomerCreateSerializer, CustomerListSerializer

# --- the detail of each kind (in the case's API answer) --------------------------------


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
    street = api_fields.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The street or road of the premise (outages and incidents by street).",
    )
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
    follows = serializers.UUIDField(
        required=False,
        help_text="Public id of the case of another kind (an inquiry) this application "
        "comes from; both cases record the link.",
    )

    def validate(self, attrs):
        if "customer" in attrs and "customer_data" in attrs:
            raise serializers.ValidationError(
                {"customer_data": [_("不能同时选择已有客户和登记新客户。")]}
            )
        if "premise" in attrs and (attrs.get("premise_address") or "zone" in attrs):
            raise serializers.ValidationError(
                {"premise_address": [_("不能同时选择已有地址和填写新地址。")]}
            )
        errors = {}
        if "customer" not in attrs and "customer_data" not in attrs:
            errors["customer_data"] = [_("请选择或登记客户。")]
        if "premise" not in attrs:
            if not attrs.get("premise_address", "").strip():
                errors["premise_address"] = [_("请选择已有地址或填写用水地址。")]
            if "zone" not in attrs:
                errors["zone"] = [_("请选择供水片区。")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# --- new connection: one serializer per action ----------------------------------------


class SupplyMaterialsSerializer(serializers.Serializer):
    materials = serializers.ListField(
        child=serializers.SlugField(max_length=40), allow_empty=False, min_length=1
    )
    note = api_fields.CharField(max_length=2000, required=False, allow_blank=True, default="")


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
    estimated_amount = MoneyField(min_value=Decimal("0"), default=Decimal("0.00"))


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
    amount = MoneyField(min_value=Decimal("0"))
    reference = api_fields.CharField(max_length=64, help_text="Receipt or transaction number.")


class InstallMeterSerializer(serializers.Serializer):
    meter_serial = api_fields.CharField(max_length=40)
    size_dn = serializers.IntegerField()
    initial_reading = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0")
    )


class OpenAccountSerializer(serializers.Serializer):
    route = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Route.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Reading route code; left out: the premise's zone's route.",
    )


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
    follows = serializers.UUIDField(
        required=False,
        help_text="Public id of the case of another kind (an inquiry) this application "
        "comes from; both cases record the link.",
    )


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
        if "new_customer" not in attrs and "new_customer_data" not in attrs:
            raise serializers.ValidationError({"new_customer": [_("请选择或登记新户主。")]})
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
