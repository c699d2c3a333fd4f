"""The forms of the sampling pages: a point, a plan, and the sampler's and the manager's
actions on a sample. They parse; ``quality.services.sampling`` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DateTimeLocalInput, DomainErrorMixin
from waterdesk.customers.models import SupplyZone
from waterdesk.quality.models import Disinfection, Frequency, Plant, PointType, SamplingPoint


class PointForm(DomainErrorMixin, forms.Form):
    code = forms.SlugField(
        label=_("编码"), max_length=32, help_text=_("英文字母、数字、连字符，例如 east-net-1。")
    )
    name = forms.CharField(label=_("采样点名称"), max_length=100)
    point_type = forms.ChoiceField(label=_("采样点类型"), choices=PointType.choices)
    location = forms.CharField(label=_("位置"), max_length=300)
    plant = forms.ModelChoiceField(
        label=_("水厂"),
        queryset=Plant.objects.filter(is_active=True),
        required=False,
        help_text=_("出厂水采样点必填。"),
    )
    zone = forms.ModelChoiceField(
        label=_("供水片区"),
        queryset=SupplyZone.objects.all(),
        required=False,
        help_text=_("管网水、末梢水和二次供水采样点必填。"),
    )
    disinfection = forms.ChoiceField(label=_("消毒方式"), choices=Disinfection.choices)
    latitude = forms.DecimalField(
        label=_("纬度"), required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("经度"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
    )


class PointEditForm(PointForm):
    is_active = forms.BooleanField(label=_("启用"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class PlanForm(DomainErrorMixin, forms.Form):
    code = forms.SlugField(
        label=_("编码"), max_length=40, help_text=_("英文字母、数字、连字符，例如 outlet-weekly。")
    )
    name = forms.CharField(label=_("计划名称"), max_length=200)
    frequency = forms.ChoiceField(label=_("频次"), choices=Frequency.choices)
    point_types = forms.MultipleChoiceField(
        label=_("适用采样点类型"),
        choices=PointType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    indicator_codes = forms.MultipleChoiceField(
        label=_("检测指标"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "现行标准的指标；不适用于某采样点的指标（如其他消毒方式的消毒剂）不会在该点采样。"
        ),
    )

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator_codes"].choices = [
            (item.code, f"{item.name_zh}（{item.code}）") for item in indicators
        ]


class PlanEditForm(PlanForm):
    is_active = forms.BooleanField(label=_("启用"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class TakeForm(DomainErrorMixin, forms.Form):
    taken_at = forms.DateTimeField(
        label=_("采样时间"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("留空为现在。"),
    )
    algal_bloom = forms.BooleanField(label=_("藻类暴发期"), required=False)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class CancelForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=300)


class AddForm(DomainErrorMixin, forms.Form):
    point = forms.ModelChoiceField(
        label=_("采样点"), queryset=SamplingPoint.objects.filter(is_active=True)
    )
    codes = forms.MultipleChoiceField(
        label=_("检测指标"), choices=[], widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("采样原因"), max_length=300, required=False)

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["codes"].choices = [
            (item.code, f"{item.name_zh}（{item.code}）") for item in indicators
        ]
