"""The forms of the anomaly page. They parse; ``quality.services.anomalies`` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DateTimeLocalInput, DomainErrorMixin, text_area


class AdjustmentForm(DomainErrorMixin, forms.Form):
    description = forms.CharField(
        label=_("处理工艺调整"),
        max_length=2000,
        widget=text_area(3),
        help_text=_("如加大消毒剂投加量、调整混凝沉淀、切换水源；将同时记入应急事件时间线。"),
    )


class EstimateForm(DomainErrorMixin, forms.Form):
    expected_restoration_at = forms.DateTimeField(
        label=_("新的预计恢复时间"), widget=DateTimeLocalInput()
    )
    note = forms.CharField(
        label=_("进展说明"),
        max_length=500,
        required=False,
        help_text=_("将随更新通知发给受影响片区的客户。"),
    )


class CloseForm(DomainErrorMixin, forms.Form):
    follow_up = forms.CharField(
        label=_("跟踪处置记录"),
        max_length=2000,
        widget=text_area(4),
        help_text=_("写明原因、处置经过和复测结果。"),
    )
