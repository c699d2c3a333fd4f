"""The keys of a fragment in the search's GIN indexes, and how common each key is."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

# The indexes' statistics (KeyStatistics): refreshed every 10 minutes (settings'
# CELERY_BEAT_SCHEDULE), kept in the cache for a day, looked up by a process every minute.
STATISTICS_CACHE_KEY = "customers:search:key-statistics"
STATISTICS_CACHE_SECONDS = 24 * 3600
STATISTICS_MEMO_SECONDS = 60

_DIGITS = re.compile(r"[0-9]+")
_INNER_NUMBER = re.compile(r"(?<=[^0-9])[0-9]{2,}(?=[^0-9])")


@dataclass(frozen=True)
class GinIndex:
    """One of the search's GIN indexes (migration 0005)."""

    name: str  # migration 0005
    function: str  # the SQL function it indexes
    numbers: bool  # holds "#<digits>" for numbers


NAME_KEYS = GinIndex("customer_name_grams", "waterdesk_grams", numbers=False)
CONTACT_ADDRESS_KEYS = GinIndex(
    "customer_contact_address_keys", "waterdesk_address_keys", numbers=True
)
PREMISE_ADDRESS_KEYS = GinIndex("premise_address_keys", "waterdesk_address_keys", numbers=True)


def gin_keys(text: str, *, numbers: bool) -> list[str]:
    """The keys (before ``lower``) that a value holding ``text`` has in the GIN index over
    ``waterdesk_grams`` (names) or, with ``numbers``, ``waterdesk_address_keys``.

    A single character is a key of the names' index; a number alone is ``#<digits>``.
    Otherwise the bigrams that hold something else than digits — two digits, "12", are in
    half the addresses and would only make the index read long lists — and, for addresses,
    ``#<digits>`` for each number that the fragment holds whole (a non-digit on both sides).
    The ``LIKE`` on the rows found checks the fragment itself."""
    if numbers and _DIGITS.fullmatch(text):
        return [f"#{text}"]
    if len(text) == 1:
        return [text]
    pairs = (text[start : start + 2] for start in range(len(text) - 1))
    keys = [pair for pair in pairs if not _DIGITS.fullmatch(pair)]
    if numbers:
        keys += [f"#{number}" for number in _INNER_NUMBER.findall(text)]
    return list(dict.fromkeys(keys))


class KeyStatistics:
    """How many rows hold a key of the search's GIN indexes, by PostgreSQL's statistics of
    the index expressions (``ANALYZE``, which autovacuum runs: the most common elements with
    the share of the rows holding each, and the table's row count); a key that is not among
    them is rare. ``key_statistics_refresh`` (a periodic task) reads them into the cache;
    each process looks there at most once every ``STATISTICS_MEMO_SECONDS``, so that a
    search never waits for them. Without statistics (SQLite, before the first refresh) every
    key counts as rare: the search is as right, and slower for common fragments only."""

    _memo: dict[str, tuple[float, dict[str, float]]] = {}
    _memo_at: float | None = None

    def rows_with(self, index: str, key: str) -> float:
        rows, shares = self._indexes().get(index, (0.0, {}))
        return rows * shares.get(key.lower(), 0.0)

    @classmethod
    def _indexes(cls) -> dict[str, tuple[float, dict[str, float]]]:
        now = time.monotonic()
        if cls._memo_at is None or now - cls._memo_at > STATISTICS_MEMO_SECONDS:
            cls._memo, cls._memo_at = cache.get(STATISTICS_CACHE_KEY, {}), now
        return cls._memo

    @classmethod
    def forget(cls) -> None:
        """Look in the cache again at the next search."""
        cls._memo_at = None


def key_statistics_refresh() -> int:
    """Read the statistics of the search's GIN indexes into the cache (PostgreSQL; nothing
    on SQLite); the number of indexes that have statistics."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.tablename, s.most_common_elems::text::text[], "
            "s.most_common_elem_freqs, t.reltuples "
            "FROM pg_stats AS s "
            "JOIN pg_class AS i ON i.relname = s.tablename AND i.relkind = 'i' "
            "JOIN pg_index AS x ON x.indexrelid = i.oid "
            "JOIN pg_class AS t ON t.oid = x.indrelid "
            "WHERE s.schemaname = current_schema() AND s.tablename = ANY(%s)",
            [[NAME_KEYS.name, CONTACT_ADDRESS_KEYS.name, PREMISE_ADDRESS_KEYS.name]],
        )
        rows = cursor.fetchall()
    statistics = {
        index: (max(float(row_count), 0.0), dict(zip(keys or [], shares or [], strict=False)))
        for index, keys, shares, row_count in rows
    }
    cache.set(STATISTICS_CACHE_KEY, statistics, timeout=STATISTICS_CACHE_SECONDS)
    return len(statistics)
