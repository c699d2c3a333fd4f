"""The forms of collection: the case page's actions (ask for, approve or refuse the
disconnection order, withdraw the case) and the collector's pages (a task's outcome, an
instalment plan, a reconnection crew). They parse; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.collection.models import OUTCOMES
from waterdesk.collection.services.disconnection import REASON_MAX_LENGTH
from waterdesk.collection.services.payments import WITHDRAW_REASON_MAX_LENGTH
from waterdesk.core.forms import ActionForm, DateInput, DomainErrorMixin, text_area
from waterdesk.fieldwork.forms import CrewChoiceField, FinishForm


class RequestDisconnectionForm(ActionForm):
    """A button: the service checks the notice period, payments and exemptions."""


class ApproveDisconnectionForm(ActionForm):
    crew = CrewChoiceField(_("停水班组"))
    note = forms.CharField(
        label=_("审批意见"), max_length=REASON_MAX_LENGTH, required=False, widget=text_area()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["crew"].refresh()


class RefuseDisconnectionForm(ActionForm):
    reason = forms.CharField(
        label=_("不批准原因"), max_length=REASON_MAX_LENGTH, widget=text_area()
    )


class WithdrawForm(ActionForm):
    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=WITHDRAW_REASON_MAX_LENGTH,
        widget=text_area(),
        help_text=_("如：医院、学校等豁免单位，欠费核销，账单争议。"),
    )


# --- the collector's pages ------------------------------------------------------------------


class OutcomeForm(DomainErrorMixin, forms.Form):
    """The outcome of one task, on a phone; the choices are those of the task's kind."""

    outcome = forms.ChoiceField(label=_("结果"), choices=(), widget=forms.RadioSelect)
    promised_on = forms.DateField(
        label=_("承诺缴费日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    promised_amount = forms.CharField(
        label=_("承诺金额（元）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("留空表示全部欠费。"),
    )
    note = forms.CharField(label=_("说明"), required=False, widget=text_area())
    photo = forms.FileField(
        label=_("现场照片"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [
            (outcome.value, outcome.label) for outcome in OUTCOMES.get(kind, ())
        ]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["promised_amount"] = data.get("promised_amount") or None
        return data


class PlanForm(DomainErrorMixin, forms.Form):
    """An instalment plan: one line per instalment, "date amount" (e.g. 2026-12-20 300)."""

    field_aliases = {"instalments": "schedule"}

    schedule = forms.CharField(
        label=_("分期安排"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-20 300.00"}),
        help_text=_("每行一期：到期日 金额（如 2026-12-20 300.00）。各期合计须覆盖全部欠费。"),
    )
    note = forms.CharField(label=_("说明"), required=False, widget=text_area())

    def clean_schedule(self):
        rows = []
        for number, line in enumerate(self.cleaned_data["schedule"].splitlines(), start=1):
            parts = line.replace("，", " ").replace(",", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(
                    _("第 %(n)s 行应为“到期日 金额”，如 2026-12-20 300.00。") % {"n": number}
                )
            try:
                due_on = forms.DateField().clean(parts[0])
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("第 %(n)s 行的日期不正确，请写成 2026-12-20。") % {"n": number}
                ) from None
            rows.append((due_on, parts[1]))
        return rows

    def service_kwargs(self) -> dict:
        return {"instalments": self.cleaned_data["schedule"], "note": self.cleaned_data["note"]}


class ReconnectionCrewForm(ActionForm):
    """The supervisor sends a crew to reconnect (the case page's action, and the list's)."""

    crew = CrewChoiceField(_("复水班组"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["crew"].refresh()


class ReconnectWithoutPaymentForm(ActionForm):
    crew = CrewChoiceField(_("复水班组"))
    reason = forms.CharField(
        label=_("恢复供水原因"),
        max_length=REASON_MAX_LENGTH,
        widget=text_area(),
        help_text=_("如：核实为困难户、停水有误。欠费仍保留在账户上。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["crew"].refresh()


# --- the crews' finish of a disconnection or reconnection order -----------------------------


def _reading_field() -> forms.CharField:
    return forms.CharField(
        label=_("表读数"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class DisconnectionFinishForm(FinishForm):
    """What the crew records when supply is cut: the reading and the seal (a photo too)."""

    meter_reading = _reading_field()
    seal_number = forms.CharField(label=_("铅封号"), required=False, max_length=40)


class ReconnectionFinishForm(FinishForm):
    """What the crew records when supply is restored: the reading (the seal removed)."""

    meter_reading = _reading_field()


# --- the supervisor's pages -----------------------------------------------------------------

PERIOD_MAX_DAYS = 366


class PeriodForm(forms.Form):
    """The period of the effectiveness figures: this month so far unless chosen."""

    start = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    end = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = self.period(data)
        if end < start:
            raise forms.ValidationError(_("结束日期不能早于开始日期，请重新选择。"))
        if (end - start).days >= PERIOD_MAX_DAYS:
            raise forms.ValidationError(
                _("统计期间最长 %(days)s 天，请缩短期间。") % {"days": PERIOD_MAX_DAYS}
            )
        return data

    @staticmethod
    def period(data: dict | None = None) -> tuple:
        """The chosen days, the missing ones from this month: its first day to today."""
        data = data or {}
        today = timezone.localdate()
        return (
            data.get("start") or today.replace(day=1),
            data.get("end") or today,
        )

    def chosen(self) -> tuple:
        """The valid period, else this month's."""
        return self.period(self.cleaned_data if self.is_valid() else None)


# --- the collector's task list ---------------------------------------------------------------


class TaskFilterForm(forms.Form):
    """The collector's list: my cases or all, one area or every one."""

    scope = forms.ChoiceField(
        label=_("范围"),
        choices=(("mine", _("我的")), ("all", _("全部"))),
        required=False,
    )
    zone = forms.ChoiceField(label=_("片区"), required=False)

    def __init__(self, *args, zones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = [("", _("全部片区"))] + [
            (zone.code, zone.name) for zone in zones
        ]
