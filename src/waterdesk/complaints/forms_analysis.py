"""The filters of the complaint analysis: the period of intake (the last 12 months unless
chosen), the handling department and the category."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.complaints.analysis import AnalysisFilter, default_period
from waterdesk.complaints.models import ComplaintCategory
from waterdesk.core.forms import DateInput
from waterdesk.core.models import Department

# Longest period one request may analyse (five years and a day for the leap years).
PERIOD_MAX_DAYS = 5 * 366


class AnalysisFilterForm(forms.Form):
    start = forms.DateField(label=_("受理日期自"), required=False, widget=DateInput())
    end = forms.DateField(label=_("受理日期至"), required=False, widget=DateInput())
    department = forms.ModelChoiceField(
        label=_("承办部门"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=_("全部部门"),
    )
    category = forms.ModelChoiceField(
        label=_("投诉类别"),
        queryset=ComplaintCategory.objects.order_by("position", "code"),
        required=False,
        empty_label=_("全部类别"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # Unfiltered, the page shows the default period in the fields it uses.
            start, end = default_period(timezone.localdate())
            self.initial.setdefault("start", start)
            self.initial.setdefault("end", end)

    def clean(self):
        data = super().clean()
        start, end = self._period(data)
        if end < start:
            raise forms.ValidationError(_("结束日期不能早于开始日期，请重新选择。"))
        if (end - start).days >= PERIOD_MAX_DAYS:
            raise forms.ValidationError(
                _("统计期间最长 %(days)s 天，请缩短期间。") % {"days": PERIOD_MAX_DAYS}
            )
        return data

    @staticmethod
    def _period(data: dict) -> tuple[date, date]:
        default_start, default_end = default_period(timezone.localdate())
        return data.get("start") or default_start, data.get("end") or default_end

    def chosen(self) -> AnalysisFilter:
        """The valid filters; the defaults (the last 12 months, everything) otherwise."""
        data = self.cleaned_data if self.is_valid() else {}
        start, end = self._period(data)
        return AnalysisFilter(
            start=start,
            end=end,
            department=data.get("department"),
            category=data.get("category"),
        )
