"""Forms of the incident pages: the intake and one form per case action. They parse and
type the input; the services check the rules and the views hand a refusal back with
``add_domain_error``."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.core.errors import InvalidInput
from waterdesk.core.forms import (
    DATETIME_LOCAL_FORMAT,
    ActionForm,
    DateInput,
    DateTimeLocalInput,
    DomainErrorMixin,
    text_area,
)
from waterdesk.customers.models import Account, Premise, SupplyZone
from waterdesk.emergency.models import (
    IncidentSource,
    IncidentTask,
    IncidentType,
    PlanVersion,
    PlanVersionStatus,
    ResponseLevel,
    WaterPoint,
)
from waterdesk.emergency.selectors_incidents import STREET_SEPARATOR, street_choices

DATETIME_FORMATS = [DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M"]
MEASURE_ROWS = 3


def _when(label, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeLocalInput(),
        help_text=help_text,
    )


def _now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class StaffField(forms.ModelChoiceField):
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
            .order_by("username")
        )

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def streets_parse(values) -> list[tuple[str, str]]:
    pairs = []
    for value in values or ():
        district, _sep, street = str(value).partition(STREET_SEPARATOR)
        pairs.append((district, street) if street else ("", district))
    return pairs


def premises_parse(text: str) -> list[Premise]:
    """One account number or full water-use address per line, as premises; a line that
    names none is refused with the line."""
    premises, unknown = [], []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        account = Account.objects.filter(number=line).select_related("premise").first()
        premise = account.premise if account is not None else None
        if premise is None:
            premise = Premise.objects.filter(address=line).order_by("pk").first()
        if premise is None:
            unknown.append(line)
        elif premise not in premises:
            premises.append(premise)
    if unknown:
        raise InvalidInput(
            _("以下户号或地址未找到，请核对后重新填写：%(lines)s")
            % {"lines": "、".join(unknown[:10])},
            code="premise_unknown",
            field="premises",
        )
    return premises


class AreaFieldsMixin:
    """The affected area: zones, streets from the premises' list, premises by account
    number or address."""

    def _area_fields(self) -> None:
        self.fields["zones"] = forms.ModelMultipleChoiceField(
            label=_("影响供水片区"),
            queryset=SupplyZone.objects.order_by("code"),
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 6}),
        )
        self.fields["streets"] = forms.MultipleChoiceField(
            label=_("影响街道/道路"),
            choices=street_choices(),
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 8}),
        )
        self.fields["premises"] = forms.CharField(
            label=_("影响地址"),
            required=False,
            widget=text_area(3),
            help_text=_("每行一个户号或完整的用水地址；片区、街道、地址可以组合。"),
        )

    def area_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "zones": list(data.get("zones") or ()),
            "streets": streets_parse(data.get("streets")),
            "premises": premises_parse(data.get("premises", "")),
        }


# --- intake ------------------------------------------------------------------------------


class IncidentIntakeForm(AreaFieldsMixin, DomainErrorMixin, forms.Form):
    field_aliases = {
        "address": "water_point_address",
        "opening_hours": "water_point_hours",
        "supplies": "water_point_supplies",
        "water_points": "water_point_address",
    }

    incident_type = forms.ChoiceField(label=_("事件类型"), choices=IncidentType.choices)
    level = forms.TypedChoiceField(
        label=_("响应级别"), choices=ResponseLevel.choices, coerce=int, initial=ResponseLevel.IV
    )
    source = forms.ChoiceField(label=_("事件来源"), choices=IncidentSource.choices)
    plan_version = forms.ModelChoiceField(
        label=_("启动预案"),
        queryset=PlanVersion.objects.none(),
        required=False,
        empty_label=_("自动选用该类型的现行预案"),
    )
    title = forms.CharField(label=_("事件名称"), max_length=200)
    description = forms.CharField(label=_("事件情况"), max_length=2000, widget=text_area(4))
    public_summary = forms.CharField(
        label=_("公告内容"),
        max_length=500,
        widget=text_area(2),
        help_text=_("发给客户并在公众页面公布的说明，不含个人信息。"),
    )
    started_at = _when(_("发生时间"))
    expected_restoration_at = _when(_("预计恢复时间"), required=False)
    source_reference = forms.CharField(
        label=_("来源编号"),
        max_length=100,
        required=False,
        help_text=_("水质检测单号、报修工单号等；同一编号的事件已在处置中时并入该事件。"),
    )
    water_point_address = forms.CharField(label=_("临时供水点地址"), max_length=300, required=False)
    water_point_hours = forms.CharField(label=_("开放时间"), max_length=100, required=False)
    water_point_supplies = forms.CharField(
        label=_("供应内容"), max_length=200, required=False, help_text=_("如：送水车、桶装水")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._area_fields()
        self.fields["plan_version"].queryset = PlanVersion.objects.filter(
            status=PlanVersionStatus.PUBLISHED, plan__is_active=True
        ).select_related("plan")
        if not self.is_bound:
            self.initial.setdefault("started_at", _now_minute())

    def clean(self):
        data = super().clean()
        point = [data.get(name) for name in ("water_point_address", "water_point_hours")]
        if any(point) and not all(point):
            self.add_error(
                "water_point_address", _("设立临时供水点须同时填写地址、开放时间和供应内容。")
            )
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        points = []
        if data.get("water_point_address"):
            points.append(
                {
                    "address": data["water_point_address"],
                    "opening_hours": data["water_point_hours"],
                    "supplies": data["water_point_supplies"],
                }
            )
        return {
            "incident_type": data["incident_type"],
            "level": data["level"],
            "source": data["source"],
            "plan_version": data["plan_version"],
            "title": data["title"],
            "description": data["description"],
            "public_summary": data["public_summary"],
            "started_at": data["started_at"],
            "expected_restoration_at": data["expected_restoration_at"],
            "source_reference": data["source_reference"],
            "water_points": points,
            **self.area_kwargs(),
        }


# --- case actions ----------------------------------------------------------------------


def _incident(form):
    return getattr(form.case, "incident", None) if form.case is not None else None


class EscalateForm(ActionForm):
    level = forms.TypedChoiceField(
        label=_("新的响应级别"), choices=ResponseLevel.choices, coerce=int
    )
    reason = forms.CharField(label=_("调整原因"), max_length=500, widget=text_area(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        incident = _incident(self)
        if incident is not None:
            self.fields["level"].choices = [
                choice for choice in ResponseLevel.choices if choice[0] != incident.level
            ]


class UpdateForm(ActionForm):
    expected_restoration_at = _when(
        _("新的预计恢复时间"), required=False, help_text=_("将通知全部受影响客户。")
    )
    note = forms.CharField(label=_("进展说明"), max_length=500, required=False, widget=text_area(2))


class WaterPointAddForm(ActionForm):
    address = forms.CharField(label=_("供水点地址"), max_length=300)
    district = forms.CharField(label=_("区县"), max_length=50, required=False)
    opening_hours = forms.CharField(label=_("开放时间"), max_length=100)
    supplies = forms.CharField(
        label=_("供应内容"), max_length=200, help_text=_("如：送水车、桶装水")
    )


class WaterPointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: WaterPoint) -> str:
        return f"{obj.address}（{obj.supplies}）"


class WaterPointCloseForm(ActionForm):
    water_point = WaterPointChoiceField(
        label=_("供水点"), queryset=WaterPoint.objects.none(), empty_label=_("请选择")
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None:
            self.fields["water_point"].queryset = WaterPoint.objects.filter(
                case=self.case, closed_at__isnull=True
            )


class AreaForm(AreaFieldsMixin, ActionForm):
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._area_fields()
        self.fields["note"] = self.fields.pop("note")  # after the area
        if self.case is not None and not self.is_bound:
            from waterdesk.emergency.services.area import area_of

            area = area_of(self.case)
            self.initial.update(
                {
                    "zones": [zone.pk for zone in area.zones],
                    "streets": [f"{d}{STREET_SEPARATOR}{s}" for d, s in area.streets],
                    "premises": "\n".join(premise.address for premise in area.premises),
                }
            )

    def service_kwargs(self) -> dict:
        return {**self.area_kwargs(), "note": self.cleaned_data["note"]}


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: IncidentTask) -> str:
        return f"{obj.position}. {obj.title}"


class TaskDoneForm(ActionForm):
    task = TaskChoiceField(
        label=_("任务"), queryset=IncidentTask.objects.none(), empty_label=_("请选择")
    )
    note = forms.CharField(label=_("完成情况"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None:
            self.fields["task"].queryset = IncidentTask.objects.filter(
                incident__case=self.case, done_at__isnull=True
            )


class TaskAddForm(ActionForm):
    title = forms.CharField(label=_("任务"), max_length=300)
    owner = StaffField(_("负责人"), required=False)
    owner_role = forms.CharField(label=_("负责岗位"), max_length=40, required=False)
    due_at = _when(_("完成时限"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].refresh()


class RestoreForm(ActionForm):
    restored_at = _when(_("恢复供水时间"))
    note = forms.CharField(label=_("恢复说明"), max_length=500, required=False, widget=text_area(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["restored_at"] = _now_minute()


class ReviewForm(ActionForm):
    causes = forms.CharField(label=_("原因分析"), max_length=2000, widget=text_area(3))
    went_well = forms.CharField(
        label=_("做得好的"), max_length=2000, required=False, widget=text_area(2)
    )
    went_badly = forms.CharField(
        label=_("存在问题"), max_length=2000, required=False, widget=text_area(2)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index in range(1, MEASURE_ROWS + 1):
            self.fields[f"measure_{index}"] = forms.CharField(
                label=_("改进措施 %(number)s") % {"number": index}, max_length=500, required=False
            )
            owner = StaffField(_("责任人"), required=False)
            owner.refresh()
            self.fields[f"measure_{index}_owner"] = owner
            self.fields[f"measure_{index}_deadline"] = forms.DateField(
                label=_("完成期限"), required=False, widget=DateInput()
            )

    def clean(self):
        data = super().clean()
        for index in range(1, MEASURE_ROWS + 1):
            parts = [data.get(f"measure_{index}{suffix}") for suffix in ("", "_owner", "_deadline")]
            if any(parts) and not all(parts):
                self.add_error(f"measure_{index}", _("每项改进措施须填写内容、责任人和完成期限。"))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        measures = [
            {
                "description": data[f"measure_{index}"],
                "owner": data[f"measure_{index}_owner"],
                "deadline": data[f"measure_{index}_deadline"],
            }
            for index in range(1, MEASURE_ROWS + 1)
            if data.get(f"measure_{index}")
        ]
        return {
            "causes": data["causes"],
            "went_well": data["went_well"],
            "went_badly": data["went_badly"],
            "measures": measures,
        }


class CloseForm(ActionForm):
    note = forms.CharField(label=_("结案说明"), max_length=500, required=False, widget=text_area(2))


class CancelForm(ActionForm):
    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=500,
        widget=text_area(2),
        help_text=_("已发出停水通知的，将通知客户原通知撤销。"),
    )
