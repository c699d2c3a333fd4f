"""Forms of the praise pages: the desk intake form and one form per action. They parse and
type the input; ``waterdesk.complaints.services.praise`` owns the rules."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Channel
from waterdesk.complaints.models import PRAISE_MATTER_MAX_LENGTH, TEAM_NAME_MAX_LENGTH
from waterdesk.complaints.services.praise import NOTE_MAX_LENGTH
from waterdesk.core.forms import ActionForm, DomainErrorMixin, text_area
from waterdesk.core.models import Department


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class PraiseIntakeForm(DomainErrorMixin, forms.Form):
    """A praise; the customer, if known, is picked with the customer search."""

    field_aliases = {"phone": "contact_phone"}

    channel = forms.ChoiceField(label=_("受理渠道"), choices=Channel.choices, initial=Channel.PHONE)
    contact_name = forms.CharField(label=_("表扬人"), max_length=100)
    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=30, required=False, help_text=_("电子邮件表扬可不填。")
    )
    email = forms.CharField(label=_("联系邮箱"), max_length=254, required=False)
    customer = forms.UUIDField(required=False, widget=forms.HiddenInput)
    matter = forms.CharField(
        label=_("表扬事项"), max_length=PRAISE_MATTER_MAX_LENGTH, widget=text_area(4)
    )
    staff_praised = StaffChoiceField(
        label=_("被表扬员工"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("（未指明）"),
    )
    department_praised = forms.ModelChoiceField(
        label=_("被表扬部门"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("（未指明）"),
    )
    team_name = forms.CharField(
        label=_("被表扬班组"),
        max_length=TEAM_NAME_MAX_LENGTH,
        required=False,
        help_text=_("如维修班组、抄表组的名称。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_praised"].queryset = (
            get_user_model().objects.filter(is_active=True, staff_profile__isnull=False)
        ).order_by("username")
        self.fields["department_praised"].queryset = Department.objects.order_by("code")

    def service_kwargs(self) -> dict:
        """The arguments of ``praise_register`` except actor and customer."""
        data = self.cleaned_data
        return {
            key: data[key]
            for key in (
                "channel",
                "contact_name",
                "contact_phone",
                "email",
                "matter",
                "staff_praised",
                "department_praised",
                "team_name",
            )
        }


class PraiseAcknowledgeForm(ActionForm):
    note = forms.CharField(
        label=_("转达说明"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=text_area(2),
        help_text=_("表扬将转达被表扬部门，并以短信（电子邮件表扬以邮件）感谢客户。"),
    )


class PraiseWithdrawForm(ActionForm):
    reason = forms.CharField(label=_("撤销原因"), max_length=NOTE_MAX_LENGTH, widget=text_area())
