"""The forms of the results pages. They parse; ``quality.services.results`` and
``services.imports`` decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DomainErrorMixin
from waterdesk.quality.models import Verdict


class ResultsForm(DomainErrorMixin, forms.Form):
    """A value (and its unit) for every code of the sample that is entered by hand (a sum
    of ratios is computed). Fields ``raw_<code>`` and ``unit_<code>``."""

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.entry_rows = []
        for row in rows:
            if row.is_sum or row.indicator is None:
                continue
            raw, unit = f"raw_{row.code}", f"unit_{row.code}"
            self.fields[raw] = forms.CharField(
                label=row.indicator.name_zh, max_length=200, required=False
            )
            self.fields[unit] = forms.CharField(label=_("单位"), max_length=30, required=False)
            if not self.is_bound and row.result is not None:
                self.initial[raw] = row.result.raw
            if not self.is_bound:
                self.initial[unit] = row.indicator.unit
            # The row's header names both inputs (the table has no label elements).
            self.fields[raw].widget.attrs["aria-labelledby"] = f"indicator-{row.code}"
            self.fields[unit].widget.attrs.update(
                {"size": 8, "aria-labelledby": f"indicator-{row.code} results-unit"}
            )
            self.entry_rows.append({"row": row, "raw": raw, "unit": unit})

    def bound_rows(self):
        return [
            {"row": item["row"], "raw": self[item["raw"]], "unit": self[item["unit"]]}
            for item in self.entry_rows
        ]

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            item["row"].code: (data.get(item["raw"]) or "", data.get(item["unit"]) or "")
            for item in self.entry_rows
        }

    def add_line_errors(self, errors: dict) -> None:
        for code, message in errors.items():
            name = f"raw_{code}"
            self.add_error(name if name in self.fields else None, message)


class JudgeForm(DomainErrorMixin, forms.Form):
    verdict = forms.ChoiceField(
        label=_("判定"),
        choices=[(Verdict.PASS, _("合格")), (Verdict.FAIL, _("不合格"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择“合格”或“不合格”。")},
    )
    note = forms.CharField(label=_("判定说明"), max_length=300, required=False)


class ReturnForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(
        label=_("退回原因"),
        max_length=250,
        error_messages={"required": _("请填写退回原因（如“余氯结果疑似录入错误，请复测”）。")},
    )


class ImportForm(DomainErrorMixin, forms.Form):
    file = forms.FileField(
        label=_("检测结果文件（CSV）"),
        help_text=_(
            "实验室系统或 Excel 导出的 CSV 文件（UTF-8 或 GB18030 编码），表头含样品编号、"
            "指标编码或指标名称、检测结果，可含单位。"
        ),
        error_messages={"required": _("请选择要导入的文件。")},
    )
