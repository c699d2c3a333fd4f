"""Forms of the whistleblower report pages: the public form, the desk intake, the status
look-up by tracking code, the identity request and one form per case action. They parse
and type the input; the services validate the rules."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Channel
from waterdesk.complaints.models import (
    REPORT_LINE_MAX_LENGTH,
    REPORT_TEXT_MAX_LENGTH,
    ReportFinding,
)
from waterdesk.complaints.report_workflow import HANDLE_PERMISSION
from waterdesk.complaints.services.report import EVIDENCE_MAX_FILES
from waterdesk.core.antibot import AntiBotFormMixin
from waterdesk.core.forms import ActionForm, DomainErrorMixin, text_area, users_with_permission


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class _ReportFields(DomainErrorMixin, forms.Form):
    subject = forms.CharField(
        label=_("被举报人或部门"),
        max_length=REPORT_LINE_MAX_LENGTH,
        help_text=_("员工姓名、工号或所在部门、营业厅，知道多少填多少。"),
    )
    occurred_when = forms.CharField(
        label=_("发生时间"), max_length=REPORT_LINE_MAX_LENGTH, required=False
    )
    occurred_where = forms.CharField(
        label=_("发生地点"), max_length=REPORT_LINE_MAX_LENGTH, required=False
    )
    matter = forms.CharField(
        label=_("举报事项"), max_length=REPORT_TEXT_MAX_LENGTH, widget=text_area(6)
    )
    evidence = MultipleFileField(
        label=_("证据材料"),
        required=False,
        help_text=_("可选，最多 %(count)s 个 PDF、JPEG 或 PNG 文件。")
        % {"count": EVIDENCE_MAX_FILES},
    )
    reporter_name = forms.CharField(label=_("您的姓名"), max_length=100, required=False)
    reporter_phone = forms.CharField(label=_("您的电话"), max_length=20, required=False)
    reporter_email = forms.EmailField(label=_("您的电子邮箱"), required=False)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class PublicReportForm(AntiBotFormMixin, _ReportFields):
    """The public web form (no login)."""

    def service_kwargs(self) -> dict:
        data = super().service_kwargs()
        data.pop("website", None)
        data.pop("form_started", None)
        return data


DESK_CHANNELS = [
    (value, label)
    for value, label in Channel.choices
    if value in (Channel.PHONE, Channel.COUNTER, Channel.EMAIL)
]


class DeskReportForm(_ReportFields):
    """The hotline's and the counter's intake."""

    channel = forms.ChoiceField(label=_("受理渠道"), choices=DESK_CHANNELS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporter_name"].label = _("举报人姓名")
        self.fields["reporter_phone"].label = _("举报人电话")
        self.fields["reporter_email"].label = _("举报人电子邮箱")


class StatusForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"),
        max_length=40,
        help_text=_("提交举报后页面上显示的查询码，例如 ABCD-EFGH-JKMN-PQRS。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class IdentityForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(label=_("查看原因"), max_length=REPORT_LINE_MAX_LENGTH)


# --- case actions ---------------------------------------------------------------------


def _handlers():
    return users_with_permission(HANDLE_PERMISSION)


class AcknowledgeForm(ActionForm):
    investigator = forms.ModelChoiceField(label=_("调查人"), queryset=None)
    note = forms.CharField(
        label=_("说明"), max_length=REPORT_TEXT_MAX_LENGTH, required=False, widget=text_area(2)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigator"].queryset = _handlers()
        self.fields["investigator"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )


class NoteForm(ActionForm):
    note = forms.CharField(
        label=_("调查记录"), max_length=REPORT_TEXT_MAX_LENGTH, widget=text_area(3)
    )


class ConcludeForm(ActionForm):
    finding = forms.ChoiceField(label=_("调查结论"), choices=ReportFinding.choices)
    subject_staff = forms.ModelChoiceField(
        label=_("被举报员工（如已查明）"), queryset=None, required=False
    )
    action_taken = forms.CharField(
        label=_("处理措施"), max_length=REPORT_TEXT_MAX_LENGTH, widget=text_area(3)
    )
    feedback = forms.CharField(
        label=_("反馈内容"),
        max_length=REPORT_TEXT_MAX_LENGTH,
        widget=text_area(3),
        help_text=_("举报人凭查询码可以看到这段文字，请勿写入举报人或他人的个人信息。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_staff"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        self.fields["subject_staff"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )


class NoteOptionalForm(ActionForm):
    note = forms.CharField(
        label=_("说明"), max_length=REPORT_TEXT_MAX_LENGTH, required=False, widget=text_area(2)
    )


class WithdrawForm(ActionForm):
    reason = forms.CharField(
        label=_("撤回原因"), max_length=REPORT_TEXT_MAX_LENGTH, widget=text_area(2)
    )


class InvalidateForm(ActionForm):
    reason = forms.CharField(
        label=_("不予受理原因"), max_length=REPORT_TEXT_MAX_LENGTH, widget=text_area(2)
    )
