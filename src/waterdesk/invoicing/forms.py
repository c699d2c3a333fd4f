"""The forms of the invoicing pages. They parse; ``invoicing.services`` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DateInput, DomainErrorMixin, text_area
from waterdesk.invoicing.models import InvoiceState, TaxTreatment, TitleKind


class InvoiceFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *InvoiceState.choices]
    )
    day = forms.DateField(label=_("日期"), required=False, widget=DateInput())
    account = forms.CharField(label=_("户号"), required=False, max_length=20)


class TitleForm(DomainErrorMixin, forms.Form):
    kind = forms.ChoiceField(label=_("抬头类型"), choices=TitleKind.choices)
    name = forms.CharField(label=_("抬头名称"), max_length=200)
    tax_id = forms.CharField(
        label=_("纳税人识别号"),
        max_length=20,
        required=False,
        help_text=_("单位填写18位统一社会信用代码；个人可留空，或填写居民身份证号码。"),
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    phone = forms.CharField(label=_("电话"), max_length=30, required=False)
    bank_name = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("银行账号"), max_length=40, required=False)
    email = forms.CharField(label=_("接收邮箱"), max_length=254, required=False)
    auto_issue = forms.BooleanField(label=_("缴费后自动开票"), required=False)


class IssueForm(DomainErrorMixin, forms.Form):
    bills = forms.MultipleChoiceField(
        label=_("已缴未开票的账单"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, bill_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bills"].choices = list(bill_choices)


class ReverseForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(label=_("冲红原因"), max_length=200, widget=text_area(2))


class RetryForm(DomainErrorMixin, forms.Form):
    pass


class TaxItemForm(DomainErrorMixin, forms.Form):
    goods_name = forms.CharField(label=_("项目名称"), max_length=100)
    tax_code = forms.CharField(label=_("税收分类编码"), max_length=19)
    treatment = forms.ChoiceField(label=_("税收处理"), choices=TaxTreatment.choices)
    rate = forms.DecimalField(label=_("税率/征收率"), max_digits=5, decimal_places=4)
    simple_levy = forms.BooleanField(label=_("简易计税"), required=False)
    unit = forms.CharField(label=_("单位"), max_length=10)


class ReportForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), widget=DateInput())
    end = forms.DateField(label=_("结束日期"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366:
            raise forms.ValidationError(_("统计区间最长一年。"))
        return data
