"""Forms of the cross-kind staff pages: customer search, attachments, the supervisor's
filter. Each kind's own forms live in its app."""

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import all_kinds, kind_choices
from waterdesk.core.forms import DomainErrorMixin


class AttachmentForm(DomainErrorMixin, forms.Form):
    file = forms.FileField(label=_("文件"), help_text=_("PDF、JPEG 或 PNG。"))
    material_code = forms.ChoiceField(label=_("材料类型"), required=False)

    def __init__(self, *args, material_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["material_code"].choices = [("", _("其他")), *material_choices]


# --- supervisor -----------------------------------------------------------------------


def open_status_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every non-terminal status of every case kind, grouped by kind. A value is
    ``kind:status``: two kinds' "registered" are different steps and never merged."""
    groups = []
    for spec in all_kinds():
        choices = [
            (f"{spec.kind}:{value}", str(label))
            for value, label in spec.statuses.choices
            if value not in spec.workflow.terminal
        ]
        if choices:
            groups.append((str(spec.label), choices))
    return groups


class SupervisorFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)
    kind = forms.ChoiceField(label=_("业务类型"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部状态")), *open_status_choices()]
        self.fields["kind"].choices = [("", _("全部类型")), *kind_choices()]

    def clean(self):
        data = super().clean()
        kind, _sep, status = (data.get("status") or "").partition(":")
        if status:
            if data.get("kind") and data["kind"] != kind:
                # A status of another kind than the one chosen: the kind wins.
                status = ""
            else:
                data["kind"] = kind
        data["status"] = status
        return data


# --- owners ---------------------------------------------------------------------------


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        profile = getattr(obj, "staff_profile", None)
        name = obj.get_full_name() or obj.get_username()
        if profile is not None and profile.department_id:
            return f"{name}（{profile.department.name}）"
        return name


class AssignForm(DomainErrorMixin, forms.Form):
    """A supervisor gives a case, or several, to one person, with a reason."""

    assignee = StaffChoiceField(label=_("改派给"), queryset=None, empty_label=_("请选择人员"))
    reason = forms.CharField(
        label=_("改派原因"),
        max_length=200,
        help_text=_("记入工单办理记录，例如“原经办人休假”。"),
    )

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
