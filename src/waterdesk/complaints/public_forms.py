"""The public web complaint form (/complaints/new/, no login), protected against bots by
``waterdesk.core.antibot``. It parses and types the input; ``complaint_register`` owns the
rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from waterdesk.complaints.models import MATTER_MAX_LENGTH, TEXT_MAX_LENGTH, ComplaintCategory
from waterdesk.core.antibot import AntiBotFormMixin
from waterdesk.core.errors import InvalidInput
from waterdesk.core.forms import DomainErrorMixin, text_area
from waterdesk.customers.validation import validate_phone


class PublicComplaintForm(AntiBotFormMixin, DomainErrorMixin, forms.Form):
    field_aliases = {"contact_phone": "phone", "contact_name": "name"}

    name = forms.CharField(
        label=_("您的姓名"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        help_text=_("用于答复您，并凭受理编号和此电话查询办理进度。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("电子邮箱（可选）"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    category = forms.ModelChoiceField(
        label=_("投诉类别"), queryset=ComplaintCategory.objects.none(), empty_label=_("请选择")
    )
    matter = forms.CharField(
        label=_("投诉事项"),
        max_length=MATTER_MAX_LENGTH - 100,
        widget=text_area(5),
        help_text=_("请写明时间、地点和经过。"),
    )
    demand = forms.CharField(
        label=_("您的诉求（可选）"), max_length=TEXT_MAX_LENGTH, required=False, widget=text_area(3)
    )
    account = forms.CharField(
        label=_("用水户号（可选）"),
        max_length=20,
        required=False,
        help_text=_("见水费账单，便于我们核查。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ComplaintCategory.objects.filter(is_active=True)

    def clean_phone(self) -> str:
        try:
            return validate_phone(self.cleaned_data["phone"])
        except InvalidInput as error:
            raise ValidationError(str(error.message), code=error.code) from None

    def clean_account(self) -> str:
        return "".join(str(self.cleaned_data.get("account") or "").split()).upper()
