import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.selectors import case_number_normalize
from waterdesk.core.errors import InvalidInput
from waterdesk.customers.validation import validate_phone


class LookupForm(forms.Form):
    """A case number and the phone number given when the case was registered."""

    number = forms.CharField(
        label=_("受理编号"),
        max_length=32,
        help_text=_("见业务受理回执，如 XZ-20260302-0001。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        help_text=_("受理时登记的联系电话或户主手机号。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_number(self) -> str:
        # Full-width letters and digits from a Chinese IME, spaces, lower case, missing
        # dashes or leading zeros: the number as staff search reads it.
        text = "".join(unicodedata.normalize("NFKC", self.cleaned_data["number"]).split())
        return case_number_normalize(text) or text.upper()

    def clean_phone(self) -> str:
        try:
            return validate_phone(self.cleaned_data["phone"])
        except InvalidInput as error:
            raise ValidationError(str(error.message), code=error.code) from None
