"""Cleaning of single-line text that people type or paste (names, addresses, contacts).

Invisible format characters — bidi overrides and isolates (U+202A…U+202E, U+2066…U+2069),
marks (U+200E, U+200F, U+061C), zero-width spaces and joiners (U+200B…U+200D, U+2060,
U+FEFF) — make a name read differently from what is stored ("Trojan Source" spoofing) and
defeat search. They carry no meaning in a customer's name or address, so they are removed,
together with control characters; runs of whitespace become one space.
"""

import unicodedata

from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput

# Unicode categories removed from single-line text: Cc (control) and Cf (format).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf"})


def text_clean_line(value) -> str:
    """``value`` as one line of visible text: format and control characters removed,
    whitespace collapsed, ends trimmed."""
    text = str(value or "")
    # Tabs and line breaks separate words; keep them as spaces before controls go.
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
    )
    return " ".join(text.split())


def text_input(value, *, field: str, label: str, limit: int, required: bool = True) -> str:
    """A service's text input: ``value`` stripped; ``InvalidInput`` naming the field when it
    is blank (if required) or longer than ``limit`` characters."""
    cleaned = str(value or "").strip()
    if required and not cleaned:
        raise InvalidInput(_("请填写%(label)s。") % {"label": label}, code="required", field=field)
    if len(cleaned) > limit:
        raise InvalidInput(
            _("%(label)s不能超过 %(limit)s 个字。") % {"label": label, "limit": limit},
            code="too_long",
            field=field,
        )
    return cleaned
