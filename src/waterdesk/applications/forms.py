"""Forms of the application pages (new connection, ownership transfer, usage change): the
intake forms and one form per case action. They parse and type the input; the services
validate the domain rules and the views hand a refusal back with ``add_domain_error``."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.applications.models import ApplicationKind, CollectiveDecision, FeeItem
from waterdesk.applications.selectors import (
    change_materials_missing,
    material_checklist,
    materials_required,
    new_connection_materials_missing,
)
from waterdesk.billing.models import Tariff
from waterdesk.cases.models import Channel, Priority
from waterdesk.core.forms import (
    DATETIME_LOCAL_FORMAT,
    ActionForm,
    DateInput,
    DateTimeLocalInput,
    DomainErrorMixin,
    text_area,
    users_with_permission,
)
from waterdesk.core.money import MoneyFormField
from waterdesk.core.timeutil import local
from waterdesk.customers.models import CustomerKind, Route, SupplyZone, UsageCategory

FEE_ROWS = 4


# --- intake ---------------------------------------------------------------------------


def intake_material_choices() -> list[tuple[str, str]]:
    """Every material of the new-connection checklist, labelled with whom it applies to."""
    person = materials_required(
        case_kind=ApplicationKind.NEW_CONNECTION, customer_kind=CustomerKind.PERSON
    )
    organisation = materials_required(
        case_kind=ApplicationKind.NEW_CONNECTION, customer_kind=CustomerKind.ORGANISATION
    )
    person_codes = {m.code for m in person}
    organisation_codes = {m.code for m in organisation}
    choices, seen = [], set()
    for material in [*person, *organisation]:
        if material.code in seen:
            continue
        seen.add(material.code)
        if material.code in person_codes and material.code in organisation_codes:
            label = material.name
        elif material.code in person_codes:
            label = _("%(name)s（个人）") % {"name": material.name}
        else:
            label = _("%(name)s（单位）") % {"name": material.name}
        choices.append((material.code, label))
    return choices


class _IntakeFields(DomainErrorMixin, forms.Form):
    """What every intake form asks: channel, contact, materials brought, priority, summary."""

    channel = forms.ChoiceField(
        label=_("受理渠道"), choices=Channel.choices, initial=Channel.COUNTER
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30)
    materials_received = forms.MultipleChoiceField(
        label=_("已收材料"), required=False, widget=forms.CheckboxSelectMultiple
    )
    priority = forms.ChoiceField(
        label=_("优先级"), choices=Priority.choices, initial=Priority.NORMAL
    )
    green_channel_reason = forms.CharField(label=_("绿色通道原因"), max_length=200, required=False)
    summary = forms.CharField(label=_("摘要"), required=False, widget=text_area(3))


class IntakeForm(_IntakeFields):
    """A new-connection application; the customer is picked (``customer``) or entered in
    the separate ``CustomerForm``."""

    field_aliases = {"phone": "contact_phone"}

    customer = forms.UUIDField(required=False, widget=forms.HiddenInput)
    premise_address = forms.CharField(label=_("用水地址"), max_length=300)
    zone = forms.ModelChoiceField(
        label=_("供水片区"), queryset=SupplyZone.objects.order_by("code"), empty_label=_("请选择")
    )
    district = forms.CharField(label=_("区县"), max_length=50, required=False)
    street = forms.CharField(
        label=_("街道/道路"),
        max_length=100,
        required=False,
        help_text=_("如“解放路”：计划停水、应急事件可按街道划定影响范围。"),
    )
    requested_usage = forms.ChoiceField(
        label=_("申请用水性质"), choices=UsageCategory.choices, initial=UsageCategory.RESIDENTIAL
    )
    requested_size_dn = forms.IntegerField(
        label=_("申请口径(DN)"), initial=20, min_value=15, max_value=600
    )
    household_size = forms.IntegerField(label=_("家庭人口"), initial=3, min_value=1, max_value=99)
    is_major = forms.BooleanField(label=_("重大申请（须集体审议）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["materials_received"].choices = intake_material_choices()

    def clean_premise_address(self) -> str:
        return " ".join(self.cleaned_data["premise_address"].split())

    def service_kwargs(self) -> dict:
        """The arguments of ``new_connection_register`` except actor and customer."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "premise_address": data["premise_address"],
            "zone": data["zone"],
            "district": data["district"],
            "street": " ".join(data["street"].split()),
            "requested_usage": data["requested_usage"],
            "requested_size_dn": data["requested_size_dn"],
            "household_size": data["household_size"],
            "is_major": data["is_major"],
            "materials_received": list(data["materials_received"]),
            "priority": data["priority"],
            "green_channel_reason": data["green_channel_reason"],
            "summary": data["summary"],
        }


def checklist_material_choices(case_kind: str) -> list[tuple[str, str]]:
    """Every material of a change kind's checklist, labelled with whom it applies to and
    whether it is one of alternatives."""
    person = material_checklist(case_kind=case_kind, customer_kind=CustomerKind.PERSON)
    organisation = material_checklist(case_kind=case_kind, customer_kind=CustomerKind.ORGANISATION)
    person_codes = {code for item in person for code in item.codes}
    organisation_codes = {code for item in organisation for code in item.codes}
    choices, seen = [], set()
    for item in [*person, *organisation]:
        for material in item.materials:
            if material.code in seen:
                continue
            seen.add(material.code)
            label = material.name
            if material.code not in organisation_codes:
                label = _("%(name)s（个人）") % {"name": label}
            elif material.code not in person_codes:
                label = _("%(name)s（单位）") % {"name": label}
            if len(item.materials) > 1:
                label = _("%(name)s（与%(others)s任交其一）") % {
                    "name": label,
                    "others": "、".join(m.name for m in item.materials if m != material),
                }
            choices.append((material.code, label))
    return choices


class _ChangeIntakeForm(_IntakeFields):
    """Fields shared by the transfer and usage-change intake: the account (by number), the
    contact, the materials and the priority."""

    field_aliases = {"phone": "contact_phone", "account": "account_number"}
    case_kind = ""

    account_number = forms.CharField(
        label=_("户号"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["materials_received"].choices = checklist_material_choices(self.case_kind)
        # The account summary appears under the number as it is typed.
        self.fields["account_number"].widget.attrs.update(
            {
                "hx-get": reverse("workbench:account_lookup"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-target": "#account-result",
            }
        )

    def clean_account_number(self) -> str:
        return "".join(self.cleaned_data["account_number"].split())

    def service_kwargs(self) -> dict:
        """The shared service arguments (without actor and account)."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "materials_received": list(data["materials_received"]),
            "priority": data["priority"],
            "green_channel_reason": data["green_channel_reason"],
            "summary": data["summary"],
        }


class TransferIntakeForm(_ChangeIntakeForm):
    """An ownership transfer; the new owner is picked (``customer``) or entered in the
    separate ``CustomerForm``."""

    field_aliases = {**_ChangeIntakeForm.field_aliases, "new_customer": "customer"}
    case_kind = ApplicationKind.OWNERSHIP_TRANSFER

    customer = forms.UUIDField(required=False, widget=forms.HiddenInput)


class TariffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _("%(name)s（%(usage)s）") % {
            "name": obj.name,
            "usage": obj.get_usage_category_display(),
        }


class UsageChangeIntakeForm(_ChangeIntakeForm):
    case_kind = ApplicationKind.USAGE_CHANGE

    requested_usage = forms.ChoiceField(
        label=_("申请变更为"), choices=UsageCategory.choices, initial=UsageCategory.NON_RESIDENTIAL
    )
    requested_tariff = TariffChoiceField(
        label=_("申请执行的特定水价"),
        queryset=Tariff.objects.order_by("usage_category", "code"),
        required=False,
        empty_label=_("按该用水性质的默认水价"),
    )

    def service_kwargs(self) -> dict:
        return {
            **super().service_kwargs(),
            "requested_usage": self.cleaned_data["requested_usage"],
            "requested_tariff": self.cleaned_data["requested_tariff"],
        }


class AccountLookupForm(forms.Form):
    account_number = forms.CharField(label=_("户号"), max_length=30, required=False)


# --- case actions ---------------------------------------------------------------------


class SupplyMaterialsForm(ActionForm):
    materials = forms.MultipleChoiceField(
        label=_("本次补交的材料"), widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("备注"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is None:
            choices = []
        elif self.case.kind == ApplicationKind.NEW_CONNECTION:
            choices = [(m.code, m.name) for m in new_connection_materials_missing(self.case)]
        else:
            # Each alternative of a "one of" item is offered on its own.
            choices = [
                (material.code, material.name)
                for item in change_materials_missing(self.case)
                for material in item.materials
            ]
        self.fields["materials"].choices = choices

    def service_kwargs(self) -> dict:
        return {
            "materials": list(self.cleaned_data["materials"]),
            "note": self.cleaned_data["note"],
        }


class WithdrawForm(ActionForm):
    reason = forms.CharField(label=_("撤回原因"), widget=text_area())


class SurveyorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class AssignSurveyForm(ActionForm):
    surveyor = SurveyorChoiceField(label=_("勘查员"), queryset=None, empty_label=_("请选择"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["surveyor"].queryset = users_with_permission(
            "applications.survey_newconnection"
        )


class BookSurveyForm(ActionForm):
    booked_for = forms.DateTimeField(
        label=_("预约勘查时间"),
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=DateTimeLocalInput(),
    )
    preparation = forms.CharField(
        label=_("请客户准备"),
        required=False,
        max_length=300,
        help_text=_("留空则提示客户准备身份证件及房产证明原件。"),
    )


class SubmitSurveyForm(ActionForm):
    installation_position = forms.CharField(label=_("安装位置"), max_length=200)
    surveyed_usage = forms.ChoiceField(label=_("用水性质"), choices=UsageCategory.choices)
    site_conditions = forms.CharField(label=_("现场环境"), widget=text_area())
    facilities = forms.CharField(label=_("设施状况"), widget=text_area())
    notes_explained = forms.CharField(label=_("已向客户说明的注意事项"), widget=text_area())
    estimated_amount = MoneyFormField(label=_("预估工程金额（元）"), initial=Decimal("0.00"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = getattr(self.case, "new_connection", None) if self.case is not None else None
        if detail is not None and not self.is_bound:
            self.fields["surveyed_usage"].initial = detail.requested_usage


class OpinionForm(ActionForm):
    opinion = forms.CharField(label=_("意见"), widget=text_area(3))


class RejectForm(ActionForm):
    opinion = forms.CharField(label=_("不通过原因"), widget=text_area(3))


class CollectiveReviewForm(ActionForm):
    meeting_date = forms.DateField(label=_("会议日期"), widget=DateInput())
    participants = forms.CharField(label=_("参会人员"), widget=text_area())
    decision = forms.ChoiceField(label=_("审议结论"), choices=CollectiveDecision.choices)
    minutes = forms.CharField(label=_("会议纪要"), required=False, widget=text_area(3))


class FeeItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _("%(name)s（%(price)s 元/%(unit)s）") % {
            "name": obj.name,
            "price": obj.unit_price,
            "unit": obj.unit,
        }


class AssessFeeForm(ActionForm):
    """Fee lines as ``item_<n>`` / ``quantity_<n>`` pairs; empty rows are ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        items = FeeItem.objects.filter(is_active=True).order_by("code")
        for row in range(FEE_ROWS):
            self.fields[f"item_{row}"] = FeeItemChoiceField(
                label=_("收费项目"),
                queryset=items,
                to_field_name="code",
                required=False,
                empty_label="—",
                widget=forms.Select(
                    attrs={"aria-label": _("第 %(n)s 项收费项目") % {"n": row + 1}}
                ),
            )
            self.fields[f"quantity_{row}"] = forms.DecimalField(
                label=_("数量"),
                required=False,
                min_value=Decimal("0.01"),
                max_digits=10,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"aria-label": _("第 %(n)s 项数量") % {"n": row + 1}, "step": "0.01"}
                ),
            )

    def rows(self) -> list[tuple]:
        return [(self[f"item_{row}"], self[f"quantity_{row}"]) for row in range(FEE_ROWS)]

    def clean(self) -> dict:
        cleaned = super().clean()
        lines = []
        for row in range(FEE_ROWS):
            item, quantity = cleaned.get(f"item_{row}"), cleaned.get(f"quantity_{row}")
            if item is None and quantity is None:
                continue
            if item is None:
                self.add_error(f"item_{row}", _("请选择收费项目。"))
            elif quantity is None:
                self.add_error(f"quantity_{row}", _("请填写数量。"))
            else:
                lines.append((item.code, quantity))
        if not lines and not self.errors:
            raise ValidationError(_("请至少填写一项费用。"), code="no_fee_lines")
        cleaned["lines"] = lines
        return cleaned

    def service_kwargs(self) -> dict:
        return {"lines": self.cleaned_data["lines"]}


class RecordPaymentForm(ActionForm):
    amount = MoneyFormField(label=_("实缴金额（元）"))
    reference = forms.CharField(label=_("收据/流水号"), max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = getattr(self.case, "new_connection", None) if self.case is not None else None
        if detail is not None and detail.fee_total is not None and not self.is_bound:
            self.fields["amount"].initial = detail.fee_total


class InstallMeterForm(ActionForm):
    meter_serial = forms.CharField(label=_("表号"), max_length=40)
    size_dn = forms.IntegerField(label=_("口径(DN)"), min_value=15, max_value=600)
    initial_reading = forms.DecimalField(
        label=_("初始读数"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        initial=Decimal("0"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = getattr(self.case, "new_connection", None) if self.case is not None else None
        if detail is not None and not self.is_bound:
            self.fields["size_dn"].initial = detail.requested_size_dn


class OpenAccountForm(ActionForm):
    route = forms.ModelChoiceField(
        label=_("抄表路线"),
        queryset=Route.objects.none(),
        required=False,
        empty_label=_("（按用水地址所在片区）"),
        help_text=_("默认为用水地址所在片区的路线；片区没有路线时，账户列入待分配路线清单。"),
    )
    confirm = forms.BooleanField(label=_("确认客户、地址和水表信息无误，办理开户"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = Route.objects.select_related("zone").order_by("code")
        self.fields["route"].label_from_instance = _route_label
        premise = self.case.premise if self.case is not None else None
        if premise is not None:
            self.fields["route"].initial = Route.objects.of_zone(premise.zone_id).first()

    def service_kwargs(self) -> dict:
        return {"route": self.cleaned_data["route"]}


def _route_label(route: Route) -> str:
    return f"{route.code} {route.name}" + (f"（{route.zone.name}）" if route.zone else "")


class TurnWaterOnForm(ActionForm):
    note = forms.CharField(label=_("备注"), required=False, max_length=500)


# --- ownership transfer and usage change: case actions --------------------------------


def _today():
    return local(timezone.now()).date()


class RecordReadForm(ActionForm):
    """The transfer read (any day from intake on) or the change read (the effective date)."""

    value = forms.DecimalField(
        label=_("读数"), min_value=Decimal("0"), max_digits=12, decimal_places=2
    )
    read_on = forms.DateField(label=_("抄表日期"), widget=DateInput())
    note = forms.CharField(
        label=_("备注"),
        required=False,
        max_length=300,
        help_text=_("同一日期再次录入即更正已录读数，须在此填写更正原因。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = getattr(self.case, "usage_change", None) if self.case is not None else None
        if detail is not None and self.case.kind == ApplicationKind.USAGE_CHANGE:
            self.fields["read_on"].initial = detail.effective_date
            self.fields["read_on"].disabled = True
            self.fields["read_on"].help_text = _("变更读数须于生效日期抄录。")
        else:
            self.fields["read_on"].initial = _today()


class CompleteForm(ActionForm):
    note = forms.CharField(label=_("备注"), required=False, max_length=500)


class VerifyUsageForm(ActionForm):
    verified_usage = forms.ChoiceField(label=_("核实的用水性质"), choices=UsageCategory.choices)
    opinion = forms.CharField(label=_("核实意见"), widget=text_area(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = getattr(self.case, "usage_change", None) if self.case is not None else None
        if detail is not None and not self.is_bound:
            self.fields["verified_usage"].initial = detail.requested_usage


class AssignChangeSurveyForm(ActionForm):
    surveyor = SurveyorChoiceField(label=_("核查员"), queryset=None, empty_label=_("请选择"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["surveyor"].queryset = users_with_permission("applications.survey_usagechange")


class RecordSurveyForm(VerifyUsageForm):
    findings = forms.CharField(label=_("现场核查情况"), widget=text_area(3))

    field_order = ["findings", "verified_usage", "opinion"]


class ApproveChangeForm(ActionForm):
    effective_date = forms.DateField(
        label=_("变更生效日期"),
        widget=DateInput(),
        help_text=_("当日抄录变更读数；抄表前的用水按原水价结算。"),
    )
    opinion = forms.CharField(label=_("审批意见"), widget=text_area(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].initial = _today()
