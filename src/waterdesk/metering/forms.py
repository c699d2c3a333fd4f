"""The metering page forms. Parts are typed one per line — a sub meter's serial (master and
sub meters) or a member's account number (shared meter), optionally followed by its fixed
share in percent — and looked up here; the services check everything else."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from waterdesk.core.forms import DomainErrorMixin, text_area
from waterdesk.customers.models import Account, Meter
from waterdesk.metering.models import RULES_OF_KIND, ArrangementKind, FlatBasis
from waterdesk.metering.services.arrangements import PartInput


def _meter(serial: str) -> Meter | None:
    return (
        Meter.objects.filter(serial=serial.strip().upper()).first()
        or Meter.objects.filter(serial=serial.strip()).first()
    )


class ArrangementForm(DomainErrorMixin, forms.Form):
    field_aliases = {"meter": "meter_serial", "account": "account_number"}

    name = forms.CharField(label=_("名称"), max_length=100)
    rule = forms.ChoiceField(label=_("分摊规则"), required=False)
    meter_serial = forms.CharField(label=_("总表/共用表表号"), max_length=40, required=False)
    account_number = forms.CharField(
        label=_("差额/包费账户户号"),
        max_length=20,
        required=False,
        help_text=_("总分表按“差额计入总表账户”时填写承担差额的账户；包费户填写该账户。"),
    )
    parts = forms.CharField(
        label=_("分表/成员"),
        required=False,
        widget=text_area(5),
        help_text=_(
            "每行一项：总分表填分表表号，一表多户填成员户号；"
            "按固定比例分摊时在后面空格加百分比数值，如“WM001 40”。"
        ),
    )
    flat_basis = forms.ChoiceField(label=_("包费方式"), choices=FlatBasis.choices, required=False)
    flat_volume = forms.DecimalField(
        label=_("每期核定水量（m³）"), required=False, max_digits=12, decimal_places=2
    )
    flat_amount = forms.DecimalField(
        label=_("每期包费金额（元）"), required=False, max_digits=12, decimal_places=2
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False, widget=text_area(2))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        rules = RULES_OF_KIND[ArrangementKind(kind)]
        self.fields["rule"].choices = [(rule.value, rule.label) for rule in rules]
        if kind == ArrangementKind.FLAT_FEE:
            for name in ("rule", "meter_serial", "parts"):
                del self.fields[name]
        else:
            for name in ("flat_basis", "flat_volume", "flat_amount"):
                del self.fields[name]
            self.fields["rule"].required = True
            self.fields["meter_serial"].required = True
            if kind == ArrangementKind.SHARED:
                del self.fields["account_number"]

    def clean_meter_serial(self):
        serial = self.cleaned_data.get("meter_serial", "").strip()
        if not serial:
            return None
        meter = _meter(serial)
        if meter is None:
            raise forms.ValidationError(_("找不到该表号。"))
        return meter

    def clean_account_number(self):
        number = self.cleaned_data.get("account_number", "").strip()
        if not number:
            return None
        account = Account.objects.filter(number=number).first()
        if account is None:
            raise forms.ValidationError(_("找不到该户号。"))
        return account

    def clean_parts(self):
        parts = []
        for line in self.cleaned_data.get("parts", "").splitlines():
            words = line.split()
            if not words:
                continue
            if len(words) > 2:
                raise forms.ValidationError(_("每行只填一个表号或户号，以及可选的比例。"))
            share = None
            if len(words) == 2:
                try:
                    share = Decimal(words[1].rstrip("%"))
                except InvalidOperation as error:
                    raise forms.ValidationError(
                        _("“%(word)s”不是有效的比例。") % {"word": words[1]}
                    ) from error
            if self.kind == ArrangementKind.MASTER_SUB:
                meter = _meter(words[0])
                if meter is None:
                    raise forms.ValidationError(
                        _("找不到表号“%(serial)s”。") % {"serial": words[0]}
                    )
                parts.append(PartInput(meter=meter, share_percent=share))
            else:
                account = Account.objects.filter(number=words[0]).first()
                if account is None:
                    raise forms.ValidationError(
                        _("找不到户号“%(number)s”。") % {"number": words[0]}
                    )
                parts.append(PartInput(account=account, share_percent=share))
        return parts

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "rule": data.get("rule", ""),
            "meter": data.get("meter_serial"),
            "account": data.get("account_number"),
            "parts": data.get("parts", []),
            "flat_basis": data.get("flat_basis", ""),
            "flat_volume": data.get("flat_volume"),
            "flat_amount": data.get("flat_amount"),
            "note": data.get("note", ""),
        }

    @staticmethod
    def initial_for(arrangement, parts) -> dict:
        lines = []
        for part in parts:
            word = part.meter.serial if part.meter_id else part.account.number
            lines.append(f"{word} {part.share_percent}" if part.share_percent else word)
        return {
            "name": arrangement.name,
            "rule": arrangement.rule,
            "meter_serial": arrangement.meter.serial if arrangement.meter_id else "",
            "account_number": arrangement.account.number if arrangement.account_id else "",
            "parts": "\n".join(lines),
            "flat_basis": arrangement.flat_basis,
            "flat_volume": arrangement.flat_volume,
            "flat_amount": arrangement.flat_amount,
            "note": arrangement.note,
        }


class CycleForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("账期"), queryset=None, to_field_name="code", empty_label=None
    )

    def __init__(self, *args, cycles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles


class ReviewForm(DomainErrorMixin, forms.Form):
    note = forms.CharField(label=_("复核说明"), max_length=300, widget=text_area(2))


class NoteForm(DomainErrorMixin, forms.Form):
    note = forms.CharField(label=_("说明"), max_length=300, required=False)
