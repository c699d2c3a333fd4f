"""Forms for customer and premise input.

They validate and normalise with ``waterdesk.customers.validation`` (so the page shows the
same Chinese message the API returns as a code) and never save: the view passes
``cleaned_data`` to a service and, when the service refuses, hands the error back with
``form.add_domain_error(error)``.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from waterdesk.core.errors import DomainError, InvalidInput, NotFound
from waterdesk.customers.models import Customer, CustomerKind, SensitiveCategory, SupplyZone
from waterdesk.customers.selectors import customer_get
from waterdesk.customers.validation import validate_id_number, validate_mobile


class DomainErrorFormMixin:
    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal on the field it names, or above the form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, ValidationError(error.message, code=error.code))


class CustomerForm(DomainErrorFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("客户类型"), choices=CustomerKind.choices, initial=CustomerKind.PERSON
    )
    name = forms.CharField(label=_("姓名/单位名称"), max_length=200)
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=30,
        help_text=_("个人填写18位居民身份证号码，单位填写18位统一社会信用代码。"),
    )
    mobile = forms.CharField(label=_("手机号"), max_length=30, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    contact_address = forms.CharField(label=_("联系地址"), max_length=300, required=False)
    is_vulnerable = forms.BooleanField(
        label=_("特殊关爱对象"),
        required=False,
        help_text=_("如独居老人、医院等，享受绿色通道。"),
    )
    sensitive_category = forms.ChoiceField(
        label=_("重点用户类别"),
        choices=[("", _("非重点用户")), *SensitiveCategory.choices],
        required=False,
        help_text=_("停水、水质事件时优先通知（医院、养老院、学校、登记困难户等）。"),
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"]
        if not value:
            return ""
        try:
            return validate_mobile(value)
        except InvalidInput as error:
            raise ValidationError(error.message, code=error.code) from error

    def clean_contact_address(self) -> str:
        return " ".join(self.cleaned_data["contact_address"].split())

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        id_number = cleaned.get("id_number")
        # The ID number is checked against the kind, so it is cleaned once both are known.
        if kind and id_number:
            try:
                cleaned["id_number"] = validate_id_number(kind, id_number)
            except InvalidInput as error:
                self.add_error("id_number", ValidationError(error.message, code=error.code))
        return cleaned


class PremiseForm(DomainErrorFormMixin, forms.Form):
    address = forms.CharField(label=_("用水地址"), max_length=300)
    zone = forms.ModelChoiceField(
        label=_("供水片区"),
        queryset=SupplyZone.objects.order_by("code"),
        empty_label=_("请选择"),
    )
    district = forms.CharField(label=_("区县"), max_length=50, required=False)
    street = forms.CharField(
        label=_("街道/道路"),
        max_length=100,
        required=False,
        help_text=_("如“解放路”：计划停水、应急事件可按街道划定影响范围。"),
    )

    def clean_address(self) -> str:
        return " ".join(self.cleaned_data["address"].split())

    def clean_district(self) -> str:
        return " ".join(self.cleaned_data["district"].split())

    def clean_street(self) -> str:
        return " ".join(self.cleaned_data["street"].split())


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("查找客户"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("姓名、电话、证件号、户号、地址或受理编号")}
        ),
    )


def picked_customer(data, form, field: str = "customer"):
    """The existing customer an intake form picked (a public id in ``data[field]``), or
    None; a stale id becomes an error on ``form``'s field. Returns ``(customer, picked_id)``:
    the id tells "nothing picked" from "picked but gone"."""
    picked_id = data.get(field, "").strip()
    if not picked_id:
        return None, ""
    try:
        return customer_get(public_id=picked_id), picked_id
    except NotFound:
        form.add_error(field, _("所选客户不存在，请重新查找。"))
        return None, picked_id


def linked_customer(query) -> Customer | None:
    """The customer an intake page was opened for (``?customer=<public id>`` from the
    customer's page), or None for a missing or stale id."""
    picked_id = (query.get("customer") or "").strip()
    if not picked_id:
        return None
    try:
        return customer_get(public_id=picked_id)
    except NotFound:
        return None
