"""The forms of the remote-read pages; they parse, the services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from waterdesk.amr.models import HeadEnd, ValveAction
from waterdesk.core.forms import DomainErrorMixin


class ImportForm(DomainErrorMixin, forms.Form):
    head_end = forms.ModelChoiceField(
        label=_("远传主站"), queryset=HeadEnd.objects.filter(is_active=True)
    )
    file = forms.FileField(label=_("导出文件（CSV）"))


class ValveRequestForm(DomainErrorMixin, forms.Form):
    action = forms.ChoiceField(label=_("指令"), choices=ValveAction.choices)
    reason = forms.CharField(label=_("原因"), max_length=300)


class ReasonForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(label=_("不批准原因"), max_length=300)


class AssignForm(DomainErrorMixin, forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("处理人"), queryset=get_user_model().objects.filter(is_active=True)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True)
        allowed = [user.pk for user in users if user.has_perm("amr.manage_alarm")]
        self.fields["assignee"].queryset = users.filter(pk__in=allowed).order_by("username")


class ResolveForm(DomainErrorMixin, forms.Form):
    resolution = forms.CharField(label=_("处理结果"), max_length=300)
