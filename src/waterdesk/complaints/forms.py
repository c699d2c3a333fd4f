"""Forms of the complaint pages: one form per case action. They parse and type the input;
the services validate the domain rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.complaints.models import TEXT_MAX_LENGTH
from waterdesk.core.forms import ActionForm, text_area


class AcknowledgeForm(ActionForm):
    note = forms.CharField(
        label=_("说明"), max_length=TEXT_MAX_LENGTH, required=False, widget=text_area(2)
    )


class WithdrawForm(ActionForm):
    reason = forms.CharField(label=_("撤诉原因"), max_length=TEXT_MAX_LENGTH, widget=text_area())
