"""What a work order is for, and who hears of its moves.

A case kind that sends crews out registers a ``Purpose`` (from its app's ``ready()``): its
label, the title of the printed sheet, and ``on_event(order=, action=, actor=, at=, data=)``,
called inside the transaction of every move and step of an order of that purpose — the
repair stops its dispatch clock when the crew sets off, tells its callers of a new ETA, and
completes when the customer has signed. Field work knows no kind by name.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise


@dataclass(frozen=True)
class Purpose:
    code: str
    label: Promise | str
    sheet_title: Promise | str
    on_event: Callable[..., None] | None = None
    # What the crew sees about the case on the order's page: case -> [(label, value)].
    case_facts: Callable[[Any], list[tuple[str, str]]] | None = None


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
