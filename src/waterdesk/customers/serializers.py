"""API serializers of customers, premises and accounts (used by the API shell and by the
case kinds whose inputs name or register a customer)."""

from rest_framework import serializers

from waterdesk.core.api import fields as api_fields
from waterdesk.core.masking import mask_id_number, mask_mobile
from waterdesk.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Premise,
    SensitiveCategory,
    SupplyZone,
)
from waterdesk.customers.privacy import CUSTOMER_FIELDS


class ZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplyZone
        fields = ["code", "name"]


class PremiseSerializer(serializers.ModelSerializer):
    zone = ZoneSerializer()

    class Meta:
        model = Premise
        fields = ["public_id", "address", "district", "street", "zone"]


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
            "sensitive_category",
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
            "sensitive_category",
            "created_at",
            "accounts",
        ]


class CustomerRevealRequestSerializer(serializers.Serializer):
    # The fields that can be revealed here, listed in the schema so that clients know them.
    field = serializers.ChoiceField(choices=[field.value for field in CUSTOMER_FIELDS])
    reason = api_fields.CharField(
        max_length=200, help_text="Why the full value is needed (logged), e.g. 回电核实地址."
    )


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
    sensitive_category = serializers.ChoiceField(
        choices=SensitiveCategory.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="A hospital, care home, school, registered vulnerable household or other "
        "sensitive customer, told first when the water stops; blank: none.",
    )


class CustomerSearchQuerySerializer(serializers.Serializer):
    q = api_fields.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Name, mobile (or its last 4+ digits), ID, account or case number, or address.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=20)
