"""Forms of the survey pages: the customer's answer, the follow-up's resolution and the
period of the results. They parse and type the input; the services own the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import ActionForm, DomainErrorMixin, text_area
from waterdesk.surveys.models import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, SCORE_MAX, SCORE_MIN

SCORE_CHOICES = [
    (5, _("5 分 非常满意")),
    (4, _("4 分 满意")),
    (3, _("3 分 一般")),
    (2, _("2 分 不满意")),
    (1, _("1 分 非常不满意")),
]


class SurveyAnswerForm(DomainErrorMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("您对本次服务的评价"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择评分。")},
    )
    comment = forms.CharField(
        label=_("意见和建议（选填）"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=text_area(4),
    )

    def clean_score(self):
        score = self.cleaned_data["score"]
        if not SCORE_MIN <= score <= SCORE_MAX:
            raise forms.ValidationError(_("请选择 1–5 分的评分。"))
        return score


class ResolveForm(ActionForm):
    note = forms.CharField(
        label=_("跟进情况"),
        max_length=NOTE_MAX_LENGTH,
        widget=text_area(4),
        help_text=_("已采取的措施：回访致歉、重新处理等。"),
    )


class ResultsPeriodForm(forms.Form):
    """The months of the results: from the first of ``start`` to the end of ``end``."""

    start = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("结束日期不能早于开始日期。"))
        return cleaned
