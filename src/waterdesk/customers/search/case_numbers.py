"""Customers found by the numbers other apps keep: the cases app registers its finder."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from waterdesk.customers.search.query import SearchQuery


@dataclass(frozen=True)
class CaseMatch:
    """A customer found by the number of one of their cases: the result row names the case
    and links to its page."""

    customer_id: int
    number: str  # XZ-20261127-0042
    public_id: uuid.UUID


CaseFinder = Callable[[SearchQuery], list[CaseMatch]]
_CASE_FINDERS: list[CaseFinder] = []


def customer_search_case_finder_register(finder: CaseFinder) -> None:
    """Let ``finder`` answer queries shaped like its case numbers (from ``AppConfig.ready``)."""
    if finder not in _CASE_FINDERS:
        _CASE_FINDERS.append(finder)


def case_matches(query: SearchQuery) -> list[CaseMatch]:
    return [match for finder in _CASE_FINDERS for match in finder(query)]
