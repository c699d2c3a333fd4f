"""One form per offered action of a repair on the case page (dispatch, recall, cancel,
follow-up call)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DATETIME_LOCAL_FORMAT, ActionForm, DateTimeLocalInput, text_area
from waterdesk.fieldwork.forms import CrewChoiceField
from waterdesk.repairs.models import COMMENT_MAX_LENGTH, FollowUpOutcome
from waterdesk.repairs.services.common import REASON_MAX_LENGTH

SATISFACTION_CHOICES = [
    ("", _("—")),
    ("5", _("5 分：非常满意")),
    ("4", _("4 分：满意")),
    ("3", _("3 分：一般")),
    ("2", _("2 分：不满意")),
    ("1", _("1 分：非常不满意")),
]


class DispatchForm(ActionForm):
    crew = CrewChoiceField(_("维修班组"))
    window_start = forms.DateTimeField(
        label=_("预约上门开始"),
        required=False,
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=DateTimeLocalInput(),
        help_text=_("已与客户约定时间的填写；一般由班组联系客户后预约。"),
    )
    window_end = forms.DateTimeField(
        label=_("预约上门结束"),
        required=False,
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=DateTimeLocalInput(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["crew"].refresh()


class RecallForm(ActionForm):
    reason = forms.CharField(label=_("调回原因"), max_length=REASON_MAX_LENGTH, widget=text_area())


class DispatchSeparatelyForm(ActionForm):
    reason = forms.CharField(
        label=_("单独派单原因"),
        max_length=REASON_MAX_LENGTH,
        widget=text_area(),
        help_text=_(
            "核实后不属于应急事件造成的故障（如户内漏水、水表故障）时，移出事件并等待派单。"
        ),
    )


class CancelForm(ActionForm):
    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=REASON_MAX_LENGTH,
        widget=text_area(),
        help_text=_("如：误报、客户已自行修复、非供水设施故障。"),
    )


class FollowUpForm(ActionForm):
    outcome = forms.ChoiceField(
        label=_("回访结果"), choices=FollowUpOutcome.choices, initial=FollowUpOutcome.REACHED
    )
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("已回访时必填；2 分及以下或意见中有投诉的，转责任部门处理。"),
    )
    comments = forms.CharField(
        label=_("客户意见"), max_length=COMMENT_MAX_LENGTH, required=False, widget=text_area(3)
    )
