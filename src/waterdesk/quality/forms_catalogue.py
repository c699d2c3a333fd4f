"""The forms of the catalogue pages: an indicator's correction and a new edition's table.
They parse; ``quality.services.catalogue`` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DateInput, DomainErrorMixin
from waterdesk.quality.models import ALGAL_BLOOM, Disinfection, LimitType, PointScope

CONDITION_CHOICES = [*Disinfection.choices, (ALGAL_BLOOM, _("藻类暴发期"))]


class IndicatorForm(DomainErrorMixin, forms.Form):
    name_zh = forms.CharField(label=_("指标名称"), max_length=100)
    name_en = forms.CharField(label=_("英文名称"), max_length=150, required=False)
    unit = forms.CharField(label=_("单位"), max_length=30, required=False)
    limit_type = forms.ChoiceField(label=_("限值类型"), choices=LimitType.choices)
    min_value = forms.DecimalField(
        label=_("下限"), required=False, max_digits=20, decimal_places=8, min_value=0
    )
    max_value = forms.DecimalField(
        label=_("上限"), required=False, max_digits=20, decimal_places=8, min_value=0
    )
    point_scope = forms.ChoiceField(label=_("适用水样"), choices=PointScope.choices)
    applies_when = forms.MultipleChoiceField(
        label=_("仅在以下条件下适用"),
        choices=CONDITION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示始终适用。"),
    )
    condition = forms.CharField(
        label=_("适用条件或要求（标准原文）"), max_length=300, required=False
    )
    reason = forms.CharField(
        label=_("修改原因"), max_length=200, help_text=_("记入该指标的修改历史。")
    )


class EditionForm(DomainErrorMixin, forms.Form):
    code = forms.SlugField(
        label=_("编码"), max_length=40, help_text=_("英文字母、数字、连字符，例如 gb5749-2030。")
    )
    name = forms.CharField(label=_("标准名称"), max_length=200)
    effective_from = forms.DateField(label=_("实施日期"), widget=DateInput())
    file = forms.FileField(
        label=_("指标表（CSV）"),
        help_text=_(
            "列与现行标准的指标表相同：code、name_zh、group、category、unit、"
            "limit_type、min、max 等。"
        ),
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过 2 MB。"))
        return upload
