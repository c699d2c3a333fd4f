"""The hotline's intake form. It parses and types the input; ``repair_report`` decides (and
refuses with a message the view puts on the field it names)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Channel
from waterdesk.core.forms import DomainErrorMixin, text_area
from waterdesk.customers.models import SupplyZone
from waterdesk.repairs.models import DESCRIPTION_MAX_LENGTH, FaultType, Urgency


class FaultTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FaultType) -> str:
        return _("%(name)s（默认%(urgency)s）") % {
            "name": obj.name,
            "urgency": Urgency(obj.default_urgency).label,
        }


class RepairIntakeForm(DomainErrorMixin, forms.Form):
    """A fault report. The customer, if known, is picked with the customer search
    (``customer`` is its public id); an account number places the fault at its premise.
    ``link_to`` / ``confirm_new`` are the agent's answer to proposed duplicates."""

    field_aliases = {"phone": "contact_phone", "account": "account_number"}

    channel = forms.ChoiceField(label=_("受理渠道"), choices=Channel.choices, initial=Channel.PHONE)
    contact_name = forms.CharField(label=_("报修人"), max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30)
    customer = forms.UUIDField(required=False, widget=forms.HiddenInput)
    account_number = forms.CharField(
        label=_("户号"),
        max_length=20,
        required=False,
        help_text=_("知道户号的填写：故障地址即该户的用水地址。"),
    )
    address = forms.CharField(
        label=_("报修地址"),
        max_length=300,
        required=False,
        help_text=_("故障所在的详细地址；已填户号或所选客户只有一个用水地址时可不填。"),
    )
    zone = forms.ModelChoiceField(
        label=_("供水片区"),
        queryset=SupplyZone.objects.order_by("code"),
        required=False,
        empty_label=_("不清楚"),
        help_text=_("地址不在本公司档案中时选择，用于判断片区性故障（如停水）。"),
    )
    fault_type = FaultTypeChoiceField(
        label=_("故障类型"), queryset=FaultType.objects.none(), empty_label=_("请选择")
    )
    raise_urgency = forms.BooleanField(
        label=_("按紧急报修处理"),
        required=False,
        help_text=_("一般故障情况紧急时勾选（如漏水严重），将立即派值班班组。"),
    )
    green_channel_reason = forms.CharField(
        label=_("绿色通道原因"),
        max_length=200,
        required=False,
        help_text=_("医院、独居老人、完全无水等紧急需求：填写原因即走绿色通道，时限缩短。"),
    )
    description = forms.CharField(
        label=_("故障描述"), max_length=DESCRIPTION_MAX_LENGTH, widget=text_area(4)
    )
    link_to = forms.UUIDField(required=False, widget=forms.HiddenInput)
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fault_type"].queryset = FaultType.objects.filter(is_active=True)

    def service_kwargs(self) -> dict:
        """The arguments of ``repair_report`` except actor, customer, account, link_to and
        follows (the view resolves those)."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "address": data["address"],
            "zone": data["zone"],
            "fault_type": data["fault_type"],
            "description": data["description"],
            "urgency": Urgency.URGENT if data["raise_urgency"] else None,
            "green_channel_reason": data["green_channel_reason"],
            "confirm_new": data["confirm_new"],
        }
