"""The forms of the plan pages: a new plan, a revision draft, and each edit of a draft
(levels, organisation, steps, resources) and its publication. They parse; the services in
``emergency.services.plans`` decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DomainErrorMixin
from waterdesk.core.roles import Role
from waterdesk.emergency.models import (
    ContactTarget,
    IncidentType,
    ResourceKind,
    ResponseLevel,
)


def staff_users():
    """Active staff accounts (those with a staff profile), by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__isnull=False)
        .order_by("last_name", "first_name", "username")
    )


class StaffUserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class StaffUsersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def _level_choices(blank_label=None):
    choices = list(ResponseLevel.choices)
    return [("", blank_label), *choices] if blank_label is not None else choices


ROLE_CHOICES = [("", _("（不指定）")), *Role.choices]


class PlanForm(DomainErrorMixin, forms.Form):
    code = forms.CharField(
        label=_("预案编码"),
        max_length=32,
        help_text=_("英文字母、数字、连字符，例如 pipe-burst-north。"),
    )
    name = forms.CharField(label=_("预案名称"), max_length=200)
    incident_type = forms.ChoiceField(label=_("事件类型"), choices=IncidentType.choices)
    change_note = forms.CharField(label=_("编制说明"), max_length=500, required=False)


class ChangeNoteForm(DomainErrorMixin, forms.Form):
    change_note = forms.CharField(label=_("修订说明"), max_length=500)


class ConfirmForm(DomainErrorMixin, forms.Form):
    confirm = forms.BooleanField(label=_("确认放弃该草稿及其全部修改"))


class LevelForm(DomainErrorMixin, forms.Form):
    level = forms.TypedChoiceField(label=_("响应级别"), choices=_level_choices(), coerce=int)
    trigger_customers = forms.IntegerField(label=_("影响户数达到"), required=False, min_value=1)
    trigger_hours = forms.IntegerField(
        label=_("预计停水时长达到（小时）"), required=False, min_value=1
    )
    trigger_quality_failure = forms.BooleanField(label=_("水质检测不合格即启动"), required=False)
    trigger_note = forms.CharField(label=_("其他启动条件"), max_length=300, required=False)
    response_minutes = forms.IntegerField(label=_("响应时限（分钟）"), min_value=1, initial=30)


class LevelRemoveForm(DomainErrorMixin, forms.Form):
    level = forms.TypedChoiceField(label=_("响应级别"), choices=_level_choices(), coerce=int)


class ContactForm(DomainErrorMixin, forms.Form):
    level = forms.TypedChoiceField(label=_("自此级别起"), choices=_level_choices(), coerce=int)
    target = forms.ChoiceField(label=_("通知对象"), choices=ContactTarget.choices)
    role = forms.ChoiceField(
        label=_("岗位"),
        choices=ROLE_CHOICES,
        required=False,
        help_text=_("通知对象为“岗位”时选择。"),
    )
    user = StaffUserChoiceField(
        label=_("人员"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("通知对象为“指定人员”时选择。"),
    )
    duty = forms.CharField(label=_("职责"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_users()


class ItemForm(DomainErrorMixin, forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)


class StepForm(DomainErrorMixin, forms.Form):
    title = forms.CharField(label=_("处置步骤"), max_length=300)
    level = forms.TypedChoiceField(
        label=_("适用级别"),
        choices=_level_choices(_("各级别均适用")),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("自此级别起适用（含更高级别）。"),
    )
    owner_role = forms.ChoiceField(label=_("负责岗位"), choices=ROLE_CHOICES, required=False)
    target_minutes = forms.IntegerField(
        label=_("完成时限（分钟）"),
        required=False,
        min_value=1,
        help_text=_("自启动预案起算。"),
    )


class StepEditForm(StepForm):
    item = forms.IntegerField(widget=forms.HiddenInput)


class StepMoveForm(DomainErrorMixin, forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    direction = forms.ChoiceField(choices=[("up", _("上移")), ("down", _("下移"))])


class ResourceForm(DomainErrorMixin, forms.Form):
    kind = forms.ChoiceField(label=_("资源类别"), choices=ResourceKind.choices)
    description = forms.CharField(label=_("名称/规格"), max_length=200)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, initial=1)
    unit = forms.CharField(label=_("单位"), max_length=20, required=False)
    location = forms.CharField(label=_("存放/驻地"), max_length=200, required=False)
    contact = forms.CharField(label=_("联系人及电话"), max_length=100, required=False)
