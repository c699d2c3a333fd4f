"""The forms of the field-work pages. They only parse what was typed (a date, a file); the
services decide what is acceptable and say why not, so every field is optional here and a
refusal comes back from the service onto the field it names."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DATETIME_LOCAL_FORMAT, DateTimeLocalInput, DomainErrorMixin
from waterdesk.fieldwork.models import Crew
from waterdesk.fieldwork.selectors import crews_on_duty

DATETIME_FORMATS = [DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _when(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeLocalInput(),
        **kwargs,
    )


def _text(label, *, rows: int | None = None, **attrs) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(label=label, required=False, strip=False, widget=widget)


class StepForm(DomainErrorMixin, forms.Form):
    """One step of a work order on the crew's page; ``service_kwargs`` are the keyword
    arguments of its service besides ``actor`` and ``order``."""

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class NoInputForm(StepForm):
    """Accept, set off, the customer's confirmation: a button."""


class ContactForm(StepForm):
    window_start = _when(_("预约上门开始"))
    window_end = _when(_("预约上门结束"))
    note = _text(_("说明"), rows=2)


class ArriveForm(StepForm):
    # The phone's position, filled in by fieldwork/arrive.js when the phone gives it.
    field_aliases = {"latitude": None, "longitude": None}

    at = _when(_("到达时间"), help_text=_("留空即为现在；补记时填写实际到达时间。"))
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)


class DiagnoseForm(StepForm):
    diagnosis = _text(_("故障诊断"), rows=3)
    plan = _text(_("维修方案"), rows=3)


class EstimateForm(StepForm):
    minutes = _text(_("预计用时（分钟）"), inputmode="numeric", autocomplete="off")
    cost = _text(_("预计费用（元）"), inputmode="decimal", autocomplete="off")


class ExtendForm(StepForm):
    reason = _text(_("延期原因"), rows=2)
    expected_done_at = _when(_("新的预计完成时间"))
    major_part = forms.BooleanField(label=_("需更换主要部件"), required=False)


class MaterialForm(StepForm):
    name = _text(_("物料名称"))
    specification = _text(_("规格"))
    quantity = _text(_("数量"), inputmode="decimal", autocomplete="off")
    unit = _text(_("单位"))


class PhotoForm(StepForm):
    photo = forms.FileField(
        label=_("照片"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    caption = _text(_("说明"))

    def service_kwargs(self) -> dict:
        return {"upload": self.cleaned_data["photo"], "caption": self.cleaned_data["caption"]}


class FinishForm(StepForm):
    """The finish step. A purpose that records more at finish (``Purpose.finish_form``)
    subclasses it with its own fields; they go to the service as ``extra``."""

    result = _text(_("处理结果"), rows=3)
    site_cleaned = forms.BooleanField(label=_("已清理现场"), required=False)
    use_demonstrated = forms.BooleanField(label=_("已向客户演示使用"), required=False)

    def service_kwargs(self) -> dict:
        own = ("result", "site_cleaned", "use_demonstrated")
        kwargs = {name: self.cleaned_data[name] for name in own}
        extra = {
            name: _json_value(value) for name, value in self.cleaned_data.items() if name not in own
        }
        if extra:
            kwargs["extra"] = extra
        return kwargs


def _json_value(value):
    """A purpose's finish field as stored in an event's data (JSON): text, whole numbers,
    booleans and nothing as they are; dates in ISO form; decimals and anything else as
    text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


class SignOffForm(StepForm):
    # The canvas as a PNG data URL (fieldwork/signature.js); its refusal shows above the pad.
    field_aliases = {"signature": None}

    signature = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    signer_name = _text(_("签字人"), autocomplete="off")
    no_signature_reason = _text(
        _("客户无法签字的原因"),
        rows=2,
    )


class GiveUpForm(StepForm):
    reason = _text(_("未能完成原因"), rows=2)


# --- choosing a crew (a repair's dispatch, a disconnection's approval, a reconnection) ----


class CrewChoiceField(forms.ModelChoiceField):
    """The active crews, those on call named and the first of them chosen. The form calls
    ``refresh()`` in its ``__init__``: who is on call changes with the hour."""

    on_duty: frozenset[int] = frozenset()

    def __init__(self, label, **kwargs):
        super().__init__(label=label, queryset=Crew.objects.none(), empty_label=None, **kwargs)

    def refresh(self) -> None:
        on_duty = [crew.pk for crew in crews_on_duty(at=timezone.now())]
        self.on_duty = frozenset(on_duty)
        self.queryset = Crew.objects.filter(is_active=True).order_by("code")
        if on_duty:
            self.initial = on_duty[0]

    def label_from_instance(self, obj: Crew) -> str:
        if obj.pk in self.on_duty:
            return _("%(name)s（值班中）") % {"name": obj.name}
        return obj.name


# --- the dispatcher's roster --------------------------------------------------------------


class ShiftForm(DomainErrorMixin, forms.Form):
    crew = forms.ModelChoiceField(
        label=_("班组"), queryset=Crew.objects.none(), required=False, empty_label=_("请选择")
    )
    starts_at = _when(_("开始时间"))
    ends_at = _when(_("结束时间"))
    note = _text(_("备注"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["crew"].queryset = Crew.objects.filter(is_active=True).order_by("code")
