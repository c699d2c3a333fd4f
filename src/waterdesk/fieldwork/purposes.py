"""What a work order is for, and who hears of its moves.

A case kind that sends crews out registers a ``Purpose`` (from its app's ``ready()``): its
label, the title of the printed sheet, and ``on_event(order=, action=, actor=, at=, data=)``,
called inside the transaction of every move and step of an order of that purpose — the
repair stops its dispatch clock when the crew sets off, tells its callers of a new ETA, and
completes when the customer has signed. Field work knows no kind by name.

A purpose also shapes the crew's work: whether the crew diagnoses and quotes
(``diagnosis_required``; a disconnection crew does not), what it records at finish besides
the result (``finish_form``, a ``fieldwork.forms.FinishForm`` with the purpose's own
fields: a meter reading, a seal number; they reach ``on_event`` as the finish event's
``data``, which the hook may refuse with ``InvalidInput(field=...)``, and are kept on the
order as ``finish_details``), and whether a site photo must be uploaded before finishing
(``photo_required_at_finish``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from waterdesk.fieldwork.forms import FinishForm


@dataclass(frozen=True)
class Purpose:
    code: str
    label: Promise | str
    sheet_title: Promise | str
    on_event: Callable[..., None] | None = None
    # What the crew sees about the case on the order's page: case -> [(label, value)].
    case_facts: Callable[[Any], list[tuple[str, str]]] | None = None
    # The crew diagnoses, plans and quotes on site before finishing (a repair).
    diagnosis_required: bool = True
    # The finish step's form when the purpose records more than the result.
    finish_form: type[FinishForm] | None = None
    # At least one site photo before the crew may finish.
    photo_required_at_finish: bool = False

    def finish_rows(self, details: dict) -> list[tuple[str, str]]:
        """``details`` (an order's ``finish_details``) as (label, value) in the order of
        the finish form's fields; a key the form no longer has keeps its name."""
        fields = self.finish_form.base_fields if self.finish_form is not None else {}
        names = [name for name in fields if name in details]
        names += [name for name in details if name not in fields]
        return [
            (str(fields[name].label) if name in fields else name, _value_text(details[name]))
            for name in names
        ]


def _value_text(value) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return "—" if value in (None, "") else str(value)


_PURPOSES: dict[str, Purpose] = {}


def purpose_register(purpose: Purpose) -> Purpose:
    known = _PURPOSES.get(purpose.code)
    if known is not None and known is not purpose:
        raise ImproperlyConfigured(f"work order purpose {purpose.code!r} is registered twice")
    _PURPOSES[purpose.code] = purpose
    return purpose


def purpose_get(code: str) -> Purpose:
    try:
        return _PURPOSES[code]
    except KeyError:
        raise ImproperlyConfigured(f"work order purpose {code!r} is not registered") from None


def purposes_all() -> list[Purpose]:
    return list(_PURPOSES.values())
