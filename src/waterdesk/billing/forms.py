"""Forms of the billing pages. They parse and type the input; the services validate the
domain rules, and the views hand a refusal back with ``add_domain_error``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import ReadingCycle, ReadKind, ReadSource
from waterdesk.billing.read_rules import ISSUE_LABELS
from waterdesk.billing.selectors.reading import reading_cycles, reading_routes_for_user
from waterdesk.core.forms import DateInput, DomainErrorMixin
from waterdesk.customers.models import Route

ENTRY_KINDS = [
    (ReadKind.ACTUAL, ReadKind.ACTUAL.label),
    (ReadKind.ESTIMATED, ReadKind.ESTIMATED.label),
]
IMPORT_SOURCES = [
    (ReadSource.HANDHELD, ReadSource.HANDHELD.label),
    (ReadSource.AMR, ReadSource.AMR.label),
]


class _CycleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReadingCycle) -> str:
        return f"{obj.code}（{obj.read_from:%m-%d}～{obj.read_to:%m-%d}）"


class _RouteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Route) -> str:
        return f"{obj.code} {obj.name}"


class EntrySheetForm(forms.Form):
    """Which route, which cycle and which day the reader is entering."""

    route = _RouteChoiceField(label=_("抄表路线"), queryset=Route.objects.none(), required=False)
    cycle = _CycleChoiceField(
        label=_("账期"),
        queryset=ReadingCycle.objects.none(),
        required=False,
        empty_label=_("不指定"),
    )
    read_on = forms.DateField(label=_("抄表日期"), required=False, widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = reading_routes_for_user(user)
        self.fields["route"].empty_label = None
        self.fields["cycle"].queryset = reading_cycles().filter(is_closed=False)


class ReadEntryForm(DomainErrorMixin, forms.Form):
    """One row of the route sheet."""

    field_aliases = {"meter": "value"}

    account = forms.UUIDField(widget=forms.HiddenInput)
    meter = forms.IntegerField(widget=forms.HiddenInput)
    cycle = forms.IntegerField(widget=forms.HiddenInput, required=False)
    read_on = forms.DateField(label=_("抄表日期"), widget=DateInput())
    # Text, so that the service returns its own message for anything that is not a number.
    value = forms.CharField(
        label=_("本次读数"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("类型"), choices=ENTRY_KINDS, initial=ReadKind.ACTUAL)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class ReadImportForm(DomainErrorMixin, forms.Form):
    source = forms.ChoiceField(label=_("数据来源"), choices=IMPORT_SOURCES)
    file = forms.FileField(
        label=_("抄表文件（CSV）"),
        help_text=_(
            "第1行为表头：account_number,meter_serial,read_on,value,kind,note"
            "（或 户号,表号,抄表日期,读数,类型,备注）；UTF-8或GBK编码。"
        ),
    )


class ReviewFilterForm(forms.Form):
    cycle = _CycleChoiceField(
        label=_("账期"), queryset=ReadingCycle.objects.none(), required=False, empty_label=_("全部")
    )
    route = _RouteChoiceField(
        label=_("抄表路线"), queryset=Route.objects.none(), required=False, empty_label=_("全部")
    )
    issue = forms.ChoiceField(label=_("问题"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = reading_cycles()
        self.fields["route"].queryset = Route.objects.order_by("code")
        self.fields["issue"].choices = [("", _("全部")), *ISSUE_LABELS.items()]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"cycle": data["cycle"], "route": data["route"], "issue": data["issue"] or None}


class ApproveForm(DomainErrorMixin, forms.Form):
    consumption = forms.CharField(
        label=_("核定用水量（m³）"),
        max_length=20,
        required=False,
        help_text=_("留空则按读数计算。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    note = forms.CharField(label=_("复核说明"), max_length=300, required=False)


class RejectForm(DomainErrorMixin, forms.Form):
    note = forms.CharField(label=_("作废原因"), max_length=300)


class ReadingCycleForm(DomainErrorMixin, forms.Form):
    code = forms.CharField(label=_("账期"), max_length=20, help_text=_("如 2026-03"))
    period_start = forms.DateField(label=_("计费起始日"), widget=DateInput())
    period_end = forms.DateField(label=_("计费截止日"), widget=DateInput())
    read_from = forms.DateField(label=_("抄表开始日"), widget=DateInput())
    read_to = forms.DateField(label=_("抄表截止日"), widget=DateInput())
    due_days = forms.IntegerField(label=_("缴费期限（天）"), initial=20, min_value=1, max_value=365)


class ReadLookupForm(forms.Form):
    account = forms.CharField(label=_("户号"), max_length=20, required=False)

    def account_number(self) -> str:
        return self.cleaned_data["account"].strip() if self.is_valid() else ""


class ReadCorrectionForm(DomainErrorMixin, forms.Form):
    # Text, so that the service returns its own message for anything that is not a number.
    value = forms.CharField(
        label=_("正确读数"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("更正原因"),
        max_length=300,
        help_text=_("例如：看错读数，现场复核为…；原读数与更正情况会留存备查。"),
    )


class AssignRouteForm(DomainErrorMixin, forms.Form):
    """One row of the unrouted accounts: the account and the route it goes on."""

    account = forms.UUIDField(widget=forms.HiddenInput)
    route = _RouteChoiceField(label=_("抄表路线"), queryset=Route.objects.none())

    def __init__(self, *args, routes, **kwargs):
        kwargs.setdefault("auto_id", False)  # one form per row: no repeated ids
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = routes
        self.fields["route"].empty_label = None
        self.fields["route"].widget.attrs["aria-label"] = _("抄表路线")
