"""What a typed string can be: the normalised query and the keys its shape allows."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SEARCH_MAX_LENGTH = 100  # a longer query is cut (the search forms take no more)
SEARCH_MIN_MOBILE_SUFFIX = 4
SEARCH_MIN_ADDRESS_FRAGMENT = 2
ACCOUNT_NUMBER_MAX_LENGTH = 20  # customers.Account.number

_SEPARATORS = re.compile(r"[\s\-()（）]+")
_DIGITS = re.compile(r"[0-9]+")
_ID_NUMBER = re.compile(r"[0-9A-Z]{15}|[0-9A-Z]{18}")
_ACCOUNT_NUMBER = re.compile(rf"[0-9A-Za-z]{{4,{ACCOUNT_NUMBER_MAX_LENGTH}}}")


@dataclass(frozen=True)
class SearchQuery:
    """One typed string, normalised, with the keys it can be."""

    text: str  # NFKC, whitespace collapsed: name and address fragments
    compact: str  # without spaces, dashes and brackets: account numbers
    key: str  # compact, upper case: ID and case numbers
    mobile: str  # the digits of a phone number ("" when the query is not one)

    @property
    def id_number(self) -> str:
        # ID numbers are stored upper-case (validation.validate_*), so the exact match on the
        # upper-cased query is the case-insensitive match, and it can use the index.
        return self.key if _ID_NUMBER.fullmatch(self.key) else ""

    @property
    def account_number(self) -> str:
        return self.compact if _ACCOUNT_NUMBER.fullmatch(self.compact) else ""

    @property
    def mobile_suffix(self) -> str:
        """The digits as the end of a mobile: at least 4, fewer than a full number."""
        return self.mobile if SEARCH_MIN_MOBILE_SUFFIX <= len(self.mobile) <= 10 else ""

    @property
    def number(self) -> str:
        """The digits when the query is digits only (separators and a leading ``+`` aside):
        a phone, account or house number, never a name."""
        digits = self.compact.removeprefix("+")
        return digits if _DIGITS.fullmatch(digits) else ""

    @property
    def name_fragment(self) -> str:
        return "" if self.number else self.text

    @property
    def address_fragment(self) -> str:
        """Text to find inside addresses (a number alone is ``address_number``)."""
        if self.number or len(self.text) < SEARCH_MIN_ADDRESS_FRAGMENT:
            return ""
        return self.text

    @property
    def address_number(self) -> str:
        """A number of 2+ digits, to match whole numbers in addresses."""
        return self.number if len(self.number) >= 2 else ""


def number_compact(value: str) -> str:
    """A typed number without spaces, dashes and brackets (full-width forms folded)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))


def search_query_parse(query: str | None) -> SearchQuery | None:
    """``query`` as a search, or ``None`` when nothing is left to search for."""
    # Control and format characters (NUL, zero-width spaces) are no part of any key.
    visible = "".join(
        char
        for char in unicodedata.normalize("NFKC", query or "")
        if char.isspace() or unicodedata.category(char)[0] != "C"
    )
    text = " ".join(visible.split())[:SEARCH_MAX_LENGTH]
    if not text:
        return None
    compact = _SEPARATORS.sub("", text)
    digits = compact.removeprefix("+")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # the country code typed without its plus sign
    mobile = digits if _DIGITS.fullmatch(digits) and len(digits) >= 4 else ""
    return SearchQuery(text=text, compact=compact, key=compact.upper(), mobile=mobile)
