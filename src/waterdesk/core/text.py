"""Cleaning of single-line text that people type or paste (names, addresses, contacts).

Invisible format characters — bidi overrides and isolates (U+202A…U+202E, U+2066…U+2069),
marks (U+200E, U+200F, U+061C), zero-width spaces and joiners (U+200B…U+200D, U+2060,
U+FEFF) — make a name read differently from what is stored ("Trojan Source" spoofing) and
defeat search. They carry no meaning in a customer's name or address, so they are removed,
together with control characters; runs of whitespace become one space.
"""

import unicodedata

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
