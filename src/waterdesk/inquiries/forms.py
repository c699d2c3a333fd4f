"""Forms of the inquiry pages: the intake form and one form per case action. They parse and
type the input; the services validate the domain rules and the views hand a refusal back
with ``add_domain_error``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Channel, Priority
from waterdesk.core.forms import ActionForm, DomainErrorMixin, text_area
from waterdesk.inquiries.models import (
    ANSWER_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
    AnswerChannel,
    InquiryCategory,
)
from waterdesk.inquiries.selectors import inquiry_categories_active, inquiry_reply_channel
from waterdesk.inquiries.services import REASON_MAX_LENGTH


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: InquiryCategory) -> str:
        if obj.reply_days:
            return _("%(name)s（%(days)s 个工作日内答复）") % {
                "name": obj.name,
                "days": obj.reply_days,
            }
        return _("%(name)s（当日答复）") % {"name": obj.name}


class InquiryIntakeForm(DomainErrorMixin, forms.Form):
    """An inquiry; the customer, if known, is picked with the customer search (``customer``
    is its public id). With an answer it is answered at intake and closed."""

    field_aliases = {"phone": "contact_phone"}

    channel = forms.ChoiceField(label=_("受理渠道"), choices=Channel.choices, initial=Channel.PHONE)
    contact_name = forms.CharField(label=_("联系人"), max_length=100)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        required=False,
        help_text=_("电子邮件咨询可不填。"),
    )
    email = forms.CharField(
        label=_("回复邮箱"),
        max_length=254,
        required=False,
        help_text=_("电子邮件咨询必填，答复将发送至该邮箱。"),
    )
    customer = forms.UUIDField(required=False, widget=forms.HiddenInput)
    category = CategoryChoiceField(
        label=_("咨询类别"), queryset=InquiryCategory.objects.none(), empty_label=_("请选择")
    )
    question = forms.CharField(
        label=_("咨询内容"), max_length=QUESTION_MAX_LENGTH, widget=text_area(4)
    )
    answer = forms.CharField(
        label=_("当场答复"),
        max_length=ANSWER_MAX_LENGTH,
        required=False,
        widget=text_area(4),
        help_text=_("已当场答复的，填写答复内容，咨询随即办结；留空则转答复部门限时答复。"),
    )
    priority = forms.ChoiceField(
        label=_("优先级"), choices=Priority.choices, initial=Priority.NORMAL
    )
    green_channel_reason = forms.CharField(label=_("绿色通道原因"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = inquiry_categories_active()

    def service_kwargs(self) -> dict:
        """The arguments of ``inquiry_register`` except actor and customer."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "email": data["email"],
            "category": data["category"],
            "question": data["question"],
            "answer": data["answer"],
            "priority": data["priority"],
            "green_channel_reason": data["green_channel_reason"],
        }


# --- case actions ---------------------------------------------------------------------


# How the answer will reach the customer, said under the answer field.
ANSWER_HELP = {
    AnswerChannel.SMS: _("答复将以短信发送至客户手机。"),
    AnswerChannel.EMAIL: _("答复将以电子邮件发送至客户的回复邮箱。"),
    AnswerChannel.PHONE: _("客户没有可接收短信的手机号：请电话答复客户后，在此登记答复内容。"),
}


class AnswerForm(ActionForm):
    answer = forms.CharField(label=_("答复内容"), max_length=ANSWER_MAX_LENGTH, widget=text_area(4))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = getattr(self.case, "inquiry", None) if self.case is not None else None
        if detail is not None:
            channel = inquiry_reply_channel(self.case, detail)
            self.fields["answer"].help_text = ANSWER_HELP.get(channel, "")


class WithdrawForm(ActionForm):
    reason = forms.CharField(label=_("撤销原因"), max_length=REASON_MAX_LENGTH, widget=text_area())
