"""Forms of the complaint pages: the desk intake, the lessons search and one form per case
action. They parse and type the input; the services validate the domain rules and the
views hand a refusal back with ``add_domain_error``."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Channel, Priority
from waterdesk.complaints.models import (
    MATTER_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    ComplaintCategory,
    Interview,
    Investigation,
    Measure,
    ReplyChannel,
    RootCause,
)
from waterdesk.complaints.selectors import (
    complaint_categories_active,
    complaint_reply_channel,
)
from waterdesk.complaints.services.handling import REASON_MAX_LENGTH
from waterdesk.complaints.services.investigation import PERSON_MAX_LENGTH
from waterdesk.core.forms import (
    DATETIME_LOCAL_FORMAT,
    ActionForm,
    DateInput,
    DateTimeLocalInput,
    DomainErrorMixin,
    text_area,
)
from waterdesk.core.models import Department

SATISFACTION_CHOICES = [
    ("", _("—")),
    ("5", _("5 分：非常满意")),
    ("4", _("4 分：满意")),
    ("3", _("3 分：一般")),
    ("2", _("2 分：不满意")),
    ("1", _("1 分：非常不满意")),
]
SUBSTANTIATED_CHOICES = [("", _("请选择")), ("yes", _("属实")), ("no", _("不属实"))]


class StaffChoiceField(forms.ModelChoiceField):
    """An active staff member, shown with their department."""

    def __init__(self, label, **kwargs):
        super().__init__(
            label=label,
            queryset=get_user_model().objects.none(),
            empty_label=_("请选择人员"),
            **kwargs,
        )

    def refresh(self) -> None:
        self.queryset = (
            get_user_model()
            .objects.filter(is_active=True, staff_profile__isnull=False)
            .select_related("staff_profile__department")
            .order_by("staff_profile__department__code", "username")
        )

    def label_from_instance(self, obj) -> str:
        profile = getattr(obj, "staff_profile", None)
        name = obj.get_full_name() or obj.get_username()
        if profile is not None and profile.department_id:
            return f"{name}（{profile.department.name}）"
        return name


def _department_field(label, **kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label, queryset=Department.objects.all(), empty_label=_("请选择部门"), **kwargs
    )


def _detail(form):
    return getattr(form.case, "complaint", None) if form.case is not None else None


# --- intake ----------------------------------------------------------------------------


class ComplaintIntakeForm(DomainErrorMixin, forms.Form):
    """A complaint taken at the counter or on the hotline; the customer, if known, is picked
    with the customer search (``customer`` is its public id)."""

    field_aliases = {"phone": "contact_phone", "linked_case": "linked_case_number"}

    channel = forms.ChoiceField(label=_("受理渠道"), choices=Channel.choices, initial=Channel.PHONE)
    contact_name = forms.CharField(label=_("投诉人"), max_length=100)
    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=30, required=False, help_text=_("电子邮件投诉可不填。")
    )
    email = forms.CharField(
        label=_("回复邮箱"),
        max_length=254,
        required=False,
        help_text=_("电子邮件投诉必填，答复将发送至该邮箱。"),
    )
    customer = forms.UUIDField(required=False, widget=forms.HiddenInput)
    category = forms.ModelChoiceField(
        label=_("投诉类别"), queryset=ComplaintCategory.objects.none(), empty_label=_("请选择")
    )
    matter = forms.CharField(label=_("投诉事项"), max_length=MATTER_MAX_LENGTH, widget=text_area(4))
    demand = forms.CharField(
        label=_("投诉诉求"), max_length=TEXT_MAX_LENGTH, required=False, widget=text_area(2)
    )
    staff_concerned = StaffChoiceField(_("被投诉员工"), required=False)
    department_concerned = _department_field(
        _("被投诉部门"),
        required=False,
        help_text=_("投诉类别未设责任部门的，由被投诉部门调查。"),
    )
    linked_case_number = forms.CharField(
        label=_("关联工单号"),
        max_length=40,
        required=False,
        help_text=_("投诉涉及的报修、业务申请等工单，如 BX-20261201-0001。"),
    )
    priority = forms.ChoiceField(
        label=_("优先级"), choices=Priority.choices, initial=Priority.NORMAL
    )
    green_channel_reason = forms.CharField(label=_("绿色通道原因"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = complaint_categories_active()
        self.fields["staff_concerned"].refresh()
        # The 12345 platform's transfers come through its own interface, not this page.
        self.fields["channel"].choices = [
            choice for choice in Channel.choices if choice[0] != Channel.CITY_HOTLINE
        ]

    def service_kwargs(self) -> dict:
        """The arguments of the intake except actor and customer."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "email": data["email"],
            "category": data["category"],
            "matter": data["matter"],
            "demand": data["demand"],
            "staff_concerned": data["staff_concerned"],
            "department_concerned": data["department_concerned"],
            "linked_case": data["linked_case_number"].strip(),
            "priority": data["priority"],
            "green_channel_reason": data["green_channel_reason"],
        }


class LessonsSearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), max_length=100, required=False)


# --- case actions ----------------------------------------------------------------------


class AcknowledgeForm(ActionForm):
    note = forms.CharField(
        label=_("说明"), max_length=TEXT_MAX_LENGTH, required=False, widget=text_area(2)
    )


class WithdrawForm(ActionForm):
    reason = forms.CharField(label=_("撤诉原因"), max_length=TEXT_MAX_LENGTH, widget=text_area())


class RouteForm(ActionForm):
    department = _department_field(_("调查部门"))
    reason = forms.CharField(label=_("转办原因"), max_length=REASON_MAX_LENGTH, widget=text_area())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None and self.case.department_id:
            self.fields["department"].queryset = Department.objects.exclude(
                pk=self.case.department_id
            )


class InterviewForm(ActionForm):
    person = forms.CharField(label=_("被询问人"), max_length=PERSON_MAX_LENGTH)
    party = forms.ChoiceField(label=_("身份"), choices=Interview.Party.choices)
    held_at = forms.DateTimeField(
        label=_("询问时间"),
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=DateTimeLocalInput(),
    )
    summary = forms.CharField(label=_("询问内容"), max_length=TEXT_MAX_LENGTH, widget=text_area(4))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["held_at"] = timezone.localtime().replace(second=0, microsecond=0)


class ReportForm(ActionForm):
    facts = forms.CharField(
        label=_("投诉事项核实情况"), max_length=TEXT_MAX_LENGTH, widget=text_area(3)
    )
    process = forms.CharField(label=_("调查过程"), max_length=TEXT_MAX_LENGTH, widget=text_area(3))
    finding = forms.CharField(label=_("调查结论"), max_length=TEXT_MAX_LENGTH, widget=text_area(3))
    proposal = forms.CharField(label=_("处理建议"), max_length=TEXT_MAX_LENGTH, widget=text_area(3))
    root_cause = forms.ChoiceField(
        label=_("原因分类"), choices=[("", _("请选择")), *RootCause.choices]
    )
    is_substantiated = forms.TypedChoiceField(
        label=_("投诉是否属实"),
        choices=SUBSTANTIATED_CHOICES,
        coerce=lambda value: value == "yes",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = _detail(self)
        if detail is not None and detail.round > 1:
            self.fields["facts"].help_text = _(
                "第 %(number)s 轮为补充调查：写明针对投诉人不满意之处新核实的情况。"
            ) % {"number": detail.round}


class PlanForm(ActionForm):
    department = _department_field(_("责任部门"))
    owner = StaffChoiceField(_("责任人"))
    summary = forms.CharField(label=_("处理方案"), max_length=TEXT_MAX_LENGTH, widget=text_area(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].refresh()
        detail = _detail(self)
        if detail is not None and not self.is_bound:
            self.initial.update(
                {
                    "department": detail.plan_department_id or self.case.department_id,
                    "owner": detail.plan_owner_id,
                    "summary": detail.plan_summary,
                }
            )


class MeasureAddForm(ActionForm):
    description = forms.CharField(label=_("措施"), max_length=TEXT_MAX_LENGTH, widget=text_area(2))
    owner = StaffChoiceField(_("责任人"))
    deadline = forms.DateField(label=_("完成期限"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].refresh()


class MeasureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Measure) -> str:
        return _("%(description)s（%(deadline)s 前）") % {
            "description": obj.description[:40],
            "deadline": obj.deadline.isoformat(),
        }


class MeasureDoneForm(ActionForm):
    measure = MeasureChoiceField(
        label=_("措施"), queryset=Measure.objects.none(), empty_label=_("请选择")
    )
    note = forms.CharField(label=_("落实情况"), max_length=TEXT_MAX_LENGTH, widget=text_area(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None:
            self.fields["measure"].queryset = Measure.objects.filter(
                complaint__case=self.case, done_at__isnull=True
            )


# How a written notice reaches the complainant, said under the reply.
REPLY_HELP = {
    ReplyChannel.SMS: _("处理结果将以短信告知投诉人。"),
    ReplyChannel.EMAIL: _("处理结果将以电子邮件发送至投诉人的回复邮箱。"),
    ReplyChannel.CITY_HOTLINE: _("12345 转办件：处理结果由 12345 平台取回并回复市民。"),
    ReplyChannel.PHONE: _("投诉人没有可接收短信的手机号：请电话答复后在此登记。"),
}


class ReplyForm(ActionForm):
    reply = forms.CharField(label=_("处理结果"), max_length=TEXT_MAX_LENGTH, widget=text_area(4))
    basis = forms.CharField(label=_("处理依据"), max_length=TEXT_MAX_LENGTH, widget=text_area(2))
    channel = forms.ChoiceField(label=_("答复方式"), choices=ReplyChannel.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = _detail(self)
        if detail is None:
            return
        channel = complaint_reply_channel(self.case, detail)
        self.fields["channel"].initial = channel
        help_text = [REPLY_HELP.get(channel, "")]
        if not Investigation.objects.filter(
            round__complaint=detail, round__number=detail.round
        ).exists():
            help_text.insert(0, _("须先提交本轮调查报告。"))
        self.fields["reply"].help_text = " ".join(str(text) for text in help_text if text)


class SatisfiedForm(ActionForm):
    note = forms.CharField(
        label=_("评价说明"), max_length=TEXT_MAX_LENGTH, required=False, widget=text_area(2)
    )


class NotSatisfiedForm(ActionForm):
    reason = forms.CharField(
        label=_("不满意原因"),
        max_length=TEXT_MAX_LENGTH,
        widget=text_area(3),
        help_text=_("将开始新一轮调查处理；超过规定轮次的投诉自动升级督办。"),
    )


class EscalateForm(ActionForm):
    reason = forms.CharField(label=_("升级原因"), max_length=REASON_MAX_LENGTH, widget=text_area())


class FollowUpForm(ActionForm):
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), choices=SATISFACTION_CHOICES, coerce=int, empty_value=None
    )
    note = forms.CharField(label=_("回访记录"), max_length=TEXT_MAX_LENGTH, widget=text_area(3))


class CloseForm(ActionForm):
    lessons = forms.CharField(
        label=_("经验教训"),
        max_length=TEXT_MAX_LENGTH,
        widget=text_area(3),
        help_text=_("可供以后检索：问题根源、改进措施、对同类投诉的处理建议。"),
    )
