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


def open_status_choices() -> list[tuple[str, str]]:
    """Every non-terminal status of every case kind, labelled. A value several kinds share
    (e.g. "registered") appears once with each kind's label: filtering by it finds them all."""
    labels: dict[str, list[str]] = {}
    for spec in all_kinds():
        for value, label in spec.statuses.choices:
            if value in spec.workflow.terminal:
                continue
            names = labels.setdefault(value, [])
            if str(label) not in names:
                names.append(str(label))
    return [(value, " / ".join(names)) for value, names in labels.items()]


class SupervisorFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)
    kind = forms.ChoiceField(label=_("业务类型"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部状态")), *open_status_choices()]
        self.fields["kind"].choices = [("", _("全部类型")), *kind_choices()]
