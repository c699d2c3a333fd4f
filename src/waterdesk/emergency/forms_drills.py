"""The forms of the drill pages and of the improvement measures. They parse; the services
in ``emergency.services.drills`` and ``services.measures`` decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DateInput, DateTimeLocalInput, DomainErrorMixin, text_area
from waterdesk.emergency.forms_plans import StaffUserChoiceField, StaffUsersChoiceField, staff_users
from waterdesk.emergency.models import PlanVersion, ResponseLevel
from waterdesk.emergency.selectors_plans import plans_in_force
from waterdesk.emergency.services.drills import TimingInput

# Blank rows for what the drill did beyond the plan's steps.
EXTRA_ROWS = 3


class PlanVersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.plan.name}（{obj.plan.get_incident_type_display()}，第 {obj.number} 版）"


class DrillForm(DomainErrorMixin, forms.Form):
    plan_version = PlanVersionChoiceField(
        label=_("演练预案"), queryset=PlanVersion.objects.none(), empty_label=None
    )
    level = forms.TypedChoiceField(label=_("演练级别"), choices=ResponseLevel.choices, coerce=int)
    scheduled_for = forms.DateTimeField(label=_("演练时间"), widget=DateTimeLocalInput())
    scenario = forms.CharField(label=_("演练场景"), max_length=5000, widget=text_area(4))
    participants = StaffUsersChoiceField(
        label=_("参演人员"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("按住 Ctrl 可多选。"),
    )
    other_participants = forms.CharField(
        label=_("其他参演单位"),
        max_length=500,
        required=False,
        help_text=_("如消防、卫生健康部门、街道社区。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan_version"].queryset = plans_in_force()
        self.fields["participants"].queryset = staff_users()


class HeldForm(DomainErrorMixin, forms.Form):
    """The actual start, then the minutes each plan step took (a blank row: not observed),
    then up to ``EXTRA_ROWS`` rows of their own."""

    held_at = forms.DateTimeField(label=_("实际开始时间"), widget=DateTimeLocalInput())

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = list(steps)
        self.step_rows = []
        for step in self.steps:
            observed = f"observed_{step.pk}"
            note = f"note_{step.pk}"
            self.fields[observed] = forms.IntegerField(
                label=_("实际用时（分钟）"), required=False, min_value=0
            )
            self.fields[note] = forms.CharField(label=_("说明"), max_length=300, required=False)
            self.step_rows.append({"step": step, "observed": observed, "note": note})
        self.extra_rows = []
        for index in range(EXTRA_ROWS):
            names = {
                "label": f"extra_label_{index}",
                "target": f"extra_target_{index}",
                "observed": f"extra_observed_{index}",
                "note": f"extra_note_{index}",
            }
            self.fields[names["label"]] = forms.CharField(
                label=_("环节"), max_length=300, required=False
            )
            self.fields[names["target"]] = forms.IntegerField(
                label=_("目标（分钟）"), required=False, min_value=1
            )
            self.fields[names["observed"]] = forms.IntegerField(
                label=_("实际用时（分钟）"), required=False, min_value=0
            )
            self.fields[names["note"]] = forms.CharField(
                label=_("说明"), max_length=300, required=False
            )
            self.extra_rows.append(names)

    def bound_rows(self):
        """The rows for the template: each step's and each extra row's bound fields."""
        steps = [
            {"step": row["step"], "observed": self[row["observed"]], "note": self[row["note"]]}
            for row in self.step_rows
        ]
        extras = [{key: self[name] for key, name in row.items()} for row in self.extra_rows]
        return steps, extras

    def timings(self) -> list[TimingInput]:
        data = self.cleaned_data
        rows = [
            TimingInput(
                step=row["step"],
                observed_minutes=data.get(row["observed"]),
                note=data.get(row["note"]) or "",
            )
            for row in self.step_rows
        ]
        for row in self.extra_rows:
            if data.get(row["observed"]) is None and not data.get(row["label"]):
                continue
            if data.get(row["observed"]) is None:
                self.add_error(row["observed"], _("请填写该环节的实际用时，或清空该行。"))
                continue
            rows.append(
                TimingInput(
                    label=data.get(row["label"]) or "",
                    target_minutes=data.get(row["target"]),
                    observed_minutes=data.get(row["observed"]),
                    note=data.get(row["note"]) or "",
                )
            )
        return rows


class EvaluateForm(DomainErrorMixin, forms.Form):
    evaluation = forms.CharField(
        label=_("演练评估"),
        max_length=5000,
        widget=text_area(5),
        help_text=_("目标完成情况、暴露的问题、预案是否需要修订。"),
    )


class CancelForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=500)


class MeasureForm(DomainErrorMixin, forms.Form):
    description = forms.CharField(label=_("改进措施"), max_length=500)
    owner = StaffUserChoiceField(label=_("责任人"), queryset=get_user_model().objects.none())
    deadline = forms.DateField(label=_("完成期限"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


class MeasureDoneForm(DomainErrorMixin, forms.Form):
    note = forms.CharField(
        label=_("完成情况"),
        max_length=500,
        error_messages={"required": _("请填写完成情况后再办结。")},
    )
