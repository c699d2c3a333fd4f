"""Forms of the planned-outage pages: the scheduling form and one form per action. They
parse and type the input; ``waterdesk.emergency.services.outages`` owns the rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import ActionForm, DateTimeLocalInput, DomainErrorMixin, text_area
from waterdesk.customers.models import Premise, SupplyZone
from waterdesk.emergency.selectors_outages import street_choices
from waterdesk.emergency.services.outages import (
    REASON_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    WORKS_MAX_LENGTH,
)

# One street choice is "district|street" (the district may be empty).
STREET_SEPARATOR = "|"
MAX_PREMISE_LINES = 2000


def _datetime_field(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DateTimeLocalInput(), **kwargs)


def water_points_parse(text: str) -> list[dict]:
    """One point a line: "地址｜开放时间｜供应内容" (｜ or |)."""
    points = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.replace("｜", "|").split("|")]
        if len(parts) != 3 or not all(parts):
            raise ValidationError(
                _("第 %(number)s 行格式不对：每行一个供水点，写作“地址｜开放时间｜供应内容”。"),
                params={"number": number},
                code="water_point_format",
            )
        address, opening_hours, supplies = parts
        points.append({"address": address, "opening_hours": opening_hours, "supplies": supplies})
    return points


class OutageScheduleForm(DomainErrorMixin, forms.Form):
    """A planned outage: the works, when, where (zones, streets, single addresses) and
    the temporary water points."""

    works = forms.CharField(
        label=_("施工内容"),
        max_length=WORKS_MAX_LENGTH,
        help_text=_("如：解放路DN300供水管道改造。写进给客户的通知。"),
    )
    public_summary = forms.CharField(
        label=_("公告内容"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=text_area(3),
        help_text=_("在停水公告页面上公开显示。"),
    )
    starts_at = _datetime_field(_("停水开始"))
    ends_at = _datetime_field(_("预计恢复供水"))
    zones = forms.ModelMultipleChoiceField(
        label=_("供水片区"),
        queryset=SupplyZone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    streets = forms.MultipleChoiceField(
        label=_("街道/道路"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("可多选（按住 Ctrl 键）。"),
    )
    premises = forms.CharField(
        label=_("具体地址"),
        required=False,
        widget=text_area(3),
        help_text=_("每行一个用水地址，须与客户档案中的地址一致。"),
    )
    short_notice_reason = forms.CharField(
        label=_("紧急原因"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=text_area(2),
    )
    water_points = forms.CharField(
        label=_("临时供水点"),
        required=False,
        widget=text_area(3),
        help_text=_("每行一个，写作“地址｜开放时间｜供应内容”，如：人民广场｜8:00-20:00｜送水车。"),
    )

    def __init__(self, *args, earliest_text: str = "", notice_hours: int = 24, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zones"].queryset = SupplyZone.objects.order_by("code")
        self.fields["streets"].choices = [
            (f"{district}{STREET_SEPARATOR}{street}", f"{district}{street}")
            for district, street in street_choices()
        ]
        self.fields["short_notice_reason"].help_text = _(
            "须至少提前 %(hours)s 小时通知客户：开始时间早于 %(earliest)s 的，"
            "须填写紧急原因并经值班主任批准后才通知客户。"
        ) % {"hours": notice_hours, "earliest": earliest_text}

    def clean_streets(self) -> list[tuple[str, str]]:
        return [
            tuple(value.split(STREET_SEPARATOR, 1))  # type: ignore[misc]
            for value in self.cleaned_data["streets"]
        ]

    def clean_premises(self) -> list[Premise]:
        lines = list(
            dict.fromkeys(
                line.strip() for line in self.cleaned_data["premises"].splitlines() if line.strip()
            )
        )
        if len(lines) > MAX_PREMISE_LINES:
            raise ValidationError(_("地址太多，请改选街道或供水片区。"), code="too_many")
        found = {premise.address: premise for premise in Premise.objects.filter(address__in=lines)}
        unknown = [line for line in lines if line not in found]
        if unknown:
            raise ValidationError(
                _("以下地址在客户档案中找不到，请核对：%(addresses)s"),
                params={"addresses": "、".join(unknown[:10])},
                code="unknown_premise",
            )
        return [found[line] for line in lines]

    def clean_water_points(self) -> list[dict]:
        return water_points_parse(self.cleaned_data["water_points"])

    def service_kwargs(self) -> dict:
        """The arguments of ``outage_schedule`` except actor."""
        return dict(self.cleaned_data)


class OutageApproveForm(ActionForm):
    note = forms.CharField(
        label=_("批准意见"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=text_area(2),
        help_text=_("批准后立即通知受影响客户。"),
    )


class OutageRefuseForm(ActionForm):
    reason = forms.CharField(
        label=_("不予批准的原因"), max_length=REASON_MAX_LENGTH, widget=text_area(2)
    )


class OutageOverrunForm(ActionForm):
    ends_at = _datetime_field(_("新的预计恢复时间"))
    reason = forms.CharField(
        label=_("延长原因"),
        max_length=REASON_MAX_LENGTH,
        widget=text_area(2),
        help_text=_("将立即通知受影响客户（不受夜间免打扰限制）。"),
    )


class OutageRestoreForm(ActionForm):
    restored_at = _datetime_field(_("恢复供水时间"), required=False, help_text=_("不填为现在。"))
    note = forms.CharField(
        label=_("说明"), max_length=REASON_MAX_LENGTH, required=False, widget=text_area(2)
    )

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("restored_at") is None:
            data.pop("restored_at", None)
        return data


class OutageCancelForm(ActionForm):
    reason = forms.CharField(
        label=_("取消原因"),
        max_length=REASON_MAX_LENGTH,
        widget=text_area(2),
        help_text=_("已通知客户的，将通知客户停水取消。"),
    )
