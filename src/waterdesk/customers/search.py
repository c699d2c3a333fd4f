"""Customer search: what a typed string can be, and one indexed query per key.

A clerk types one string into one box. Its shape decides which keys it can be, and every
key that applies is one branch of a single statement, answered by its own index:

=================  ==============================  ==========================================
key (rank)         shape of the query              index (PostgreSQL)
=================  ==============================  ==========================================
case number (0)    a registered kind's prefix,     ``cases_case.number`` (unique), through
                   day and sequence                the finder the cases app registers
ID number (0)      15 or 18 letters and digits     ``id_number`` (btree)
account (0)        4–20 letters and digits         ``number`` (unique)
mobile (0)         4 or more digits (``+86`` and   ``mobile`` (btree)
                   separators dropped)
name starts (1)    any text but a number           ``name COLLATE "C"`` (btree): a range
name contains (2)  any text but a number           the same btree, then ``waterdesk_grams``
mobile ends (3)    4–10 digits                     ``reverse(mobile) text_pattern_ops``
contact (4) and    2 or more characters; a         ``… COLLATE "C"`` (btree), then
premise (5)        number alone matches whole      ``waterdesk_address_keys`` (GIN)
address            numbers (``128`` ≠ ``1280号``)
=================  ==============================  ==========================================

The branches are joined with ``UNION ALL`` in rank order under one ``LIMIT``: PostgreSQL
runs them one after the other and stops as soon as the page is full, so a frequent key
never pays for the keys after it. The hits are ranked here: by key, then by name.

A fragment ("contains") is looked for in two steps, because either alone is slow for some
fragments. First among the first ``SEARCH_WINDOW`` entries of the column's btree in order
(an index-only scan: cheap, and enough for a frequent fragment such as a surname's
character or a district); then, if the page is not full yet, through the GIN index over
character pieces, which is fast for a rare fragment but has to read its whole posting list
first (a frequent piece's is long). The GIN functions come from migration
``0005_search_indexes``: ``waterdesk_bigrams(text)`` gives the overlapping two-character
pieces of ``lower(text)``, ``waterdesk_grams`` adds the single characters (names are
searched from the first keystroke), ``waterdesk_address_keys`` adds ``#<digits>`` for
every number of two or more digits (a number alone matches whole numbers: its bigrams,
"12", "20", are in half the addresses). A two-character Chinese fragment such as 王建 holds
no trigram, so pg_trgm cannot serve it, and pg_bigm is not packaged in Debian: hence
bigrams. The pieces pre-filter; ``ILIKE`` checks the fragment on the rows they let through.

SQLite, the demo's database, has none of these indexes: the same branches filter with
``LIKE`` (case-insensitive for ASCII only) and ``GLOB``.

Other apps find customers by numbers they keep: the cases app registers a finder for case
numbers (``customer_search_case_finder_register``), as it registers its privacy grants,
because ``cases`` imports ``customers`` and not the other way round.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

SEARCH_MIN_MOBILE_SUFFIX = 4
SEARCH_MIN_ADDRESS_FRAGMENT = 2
# Index entries read in order before the GIN index is asked (see the module's docstring):
# a fragment in more than about limit / SEARCH_WINDOW of the rows fills the page here. Only
# when the fragment's rarest key is in more than SEARCH_WINDOW_ABOVE_ROWS rows (by the
# index's statistics): a rarer one costs the GIN index less than the window.
SEARCH_WINDOW = 4000
SEARCH_WINDOW_ABOVE_ROWS = 10_000
SEARCH_GIN_KEYS = 3  # the rarest keys of a fragment that the GIN index is asked for
# The indexes' statistics (KeyStatistics): refreshed every 10 minutes (settings'
# CELERY_BEAT_SCHEDULE), kept in the cache for a day, looked up by a process every minute.
STATISTICS_CACHE_KEY = "customers:search:key-statistics"
STATISTICS_CACHE_SECONDS = 24 * 3600
STATISTICS_MEMO_SECONDS = 60
ACCOUNT_NUMBER_MAX_LENGTH = 20  # customers.Account.number

_SEPARATORS = re.compile(r"[\s\-()（）]+")
_DIGITS = re.compile(r"[0-9]+")
_INNER_NUMBER = re.compile(r"(?<=[^0-9])[0-9]{2,}(?=[^0-9])")
_ID_NUMBER = re.compile(r"[0-9A-Z]{15}|[0-9A-Z]{18}")
_ACCOUNT_NUMBER = re.compile(rf"[0-9A-Za-z]{{4,{ACCOUNT_NUMBER_MAX_LENGTH}}}")

# Ranks: exact keys first, then the name (starting with the query, then containing it), the
# end of the mobile, the contact address, an account's premise address.
RANK_EXACT, RANK_NAME_STARTS, RANK_NAME_CONTAINS, RANK_MOBILE_ENDS = 0, 1, 2, 3
RANK_CONTACT_ADDRESS, RANK_PREMISE_ADDRESS = 4, 5


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
    text = " ".join(unicodedata.normalize("NFKC", query or "").split())
    if not text:
        return None
    compact = _SEPARATORS.sub("", text)
    digits = compact.removeprefix("+")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # the country code typed without its plus sign
    mobile = digits if _DIGITS.fullmatch(digits) and len(digits) >= 4 else ""
    return SearchQuery(text=text, compact=compact, key=compact.upper(), mobile=mobile)


# --- the statement ---------------------------------------------------------------------------


def gin_keys(text: str, *, numbers: bool) -> list[str]:
    """The keys (before ``lower``) that a value holding ``text`` has in the GIN index over
    ``waterdesk_grams`` (names) or, with ``numbers``, ``waterdesk_address_keys``.

    A single character is a key of the names' index; a number alone is ``#<digits>``.
    Otherwise the bigrams that hold something else than digits — two digits, "12", are in
    half the addresses and would only make the index read long lists — and, for addresses,
    ``#<digits>`` for each number that the fragment holds whole (a non-digit on both sides).
    The ``ILIKE`` on the rows found checks the fragment itself."""
    if numbers and _DIGITS.fullmatch(text):
        return [f"#{text}"]
    if len(text) == 1:
        return [text]
    pairs = (text[start : start + 2] for start in range(len(text) - 1))
    keys = [pair for pair in pairs if not _DIGITS.fullmatch(pair)]
    if numbers:
        keys += [f"#{number}" for number in _INNER_NUMBER.findall(text)]
    return list(dict.fromkeys(keys))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Dialect:
    """How one database says each condition. ``%s`` placeholders, values in ``params``."""

    def __init__(self, vendor: str):
        self.postgres = vendor == "postgresql"

    def ordered(self, column: str) -> str:
        # Code-point order, on PostgreSQL whatever the database's collation: the order in
        # which the btree indexes of migration 0005 hold the values (and Python sorts).
        return f'{column} COLLATE "C"' if self.postgres else column

    def starts(self, column: str, text: str) -> tuple[str, list]:
        escape = "" if self.postgres else " ESCAPE '\\'"
        return f"{self.ordered(column)} LIKE %s{escape}", [_like_escape(text) + "%"]

    def contains(self, column: str, text: str) -> tuple[str, list]:
        pattern = [f"%{_like_escape(text)}%"]
        if not self.postgres:
            return f"{column} LIKE %s ESCAPE '\\'", pattern
        # ILIKE lower-cases every row it checks; Chinese and digits have no case.
        return f"{column} {'LIKE' if text.lower() == text.upper() else 'ILIKE'} %s", pattern

    def has_number(self, column: str, number: str) -> tuple[str, list]:
        """``column`` holds ``number`` as a whole number (not inside a longer one)."""
        if self.postgres:
            return f"{column} ~ %s", [f"(^|[^0-9]){number}([^0-9]|$)"]
        return f"(' ' || {column} || ' ') GLOB %s", [f"*[^0-9]{number}[^0-9]*"]

    def ends(self, column: str, digits: str) -> tuple[str, list]:
        if self.postgres:  # the reverse(mobile) index answers a prefix of the reversed value
            return f"reverse({column}) LIKE %s", [digits[::-1] + "%"]
        return f"{column} LIKE %s", ["%" + digits]

    @staticmethod
    def keys(keys: list[str]) -> tuple[str, list]:
        return f"ARRAY[{', '.join(['lower(%s)'] * len(keys))}]", keys


@dataclass
class _Branch:
    sql: str
    params: list


class SearchStatement:
    """The branches of one search, joined into one statement; ``sql()`` gives it for up to
    ``count`` hits without the customers in ``exclude`` (ids)."""

    def __init__(
        self,
        parsed: SearchQuery,
        *,
        vendor: str,
        case_customer_ids: list[int],
        statistics: KeyStatistics | None = None,
    ):
        self.dialect = _Dialect(vendor)
        self.parsed = parsed
        self.case_customer_ids = case_customer_ids
        self.statistics = statistics or KeyStatistics()

    def sql(self, *, count: int, exclude: list[int]) -> tuple[str, list] | None:
        """The statement, or ``None`` when no key applies to the query."""
        branches = self._branches(count=count, exclude=exclude)
        if not branches:
            return None
        parts, params = [], []
        for index, branch in enumerate(branches):
            parts.append(f"SELECT * FROM ({branch.sql}) AS key_{index}")
            params += branch.params
        hits = " UNION ALL ".join(parts)
        sql = (
            "SELECT customer.*, hits.search_rank FROM "
            f"(SELECT * FROM ({hits}) AS all_hits LIMIT %s) AS hits "
            "JOIN customers_customer AS customer ON customer.id = hits.customer_id"
        )
        return sql, [*params, count]

    # Each branch selects (customer_id, search_rank) from the customers (alias c), accounts
    # (a) or premises (p), ends with its own LIMIT and leaves out the excluded customers.

    def _branches(self, *, count: int, exclude: list[int]) -> list[_Branch]:
        parsed, sql = self.parsed, self.dialect
        branches: list[_Branch] = []

        def add(rank, source, condition, params, *, customer="c.id", order=""):
            not_in = ""
            if exclude:
                not_in = f" AND {customer} NOT IN ({', '.join(['%s'] * len(exclude))})"
            branches.append(
                _Branch(
                    f"SELECT {customer} AS customer_id, {rank} AS search_rank FROM {source} "
                    f"WHERE {condition}{not_in}{f' ORDER BY {order}' if order else ''} LIMIT %s",
                    [*params, *exclude, count],
                )
            )

        customers = "customers_customer AS c"
        if self.case_customer_ids:
            marks = ", ".join(["%s"] * len(self.case_customer_ids))
            add(RANK_EXACT, customers, f"c.id IN ({marks})", self.case_customer_ids)
        if parsed.id_number:
            add(RANK_EXACT, customers, "c.id_number = %s", [parsed.id_number])
        if parsed.account_number:
            add(
                RANK_EXACT,
                "customers_account AS a",
                "a.number = %s",
                [parsed.account_number],
                customer="a.customer_id",
            )
        if parsed.mobile:
            add(RANK_EXACT, customers, "c.mobile = %s", [parsed.mobile])
        if fragment := parsed.name_fragment:
            starts, starts_params = sql.starts("c.name", fragment)
            add(RANK_NAME_STARTS, customers, starts, starts_params, order=sql.ordered("c.name"))
            contains, contains_params = sql.contains("c.name", fragment)
            self._fragment(
                add,
                RANK_NAME_CONTAINS,
                table="customers_customer",
                column="name",
                index=NAME_KEYS,
                condition=f"{contains} AND NOT {starts}",
                params=[*contains_params, *starts_params],
                fragment=fragment,
            )
        if parsed.mobile_suffix:
            add(RANK_MOBILE_ENDS, customers, *sql.ends("c.mobile", parsed.mobile_suffix))
        if parsed.address_fragment or parsed.address_number:
            self._addresses(add)
        return branches

    def _addresses(self, add) -> None:
        parsed, sql = self.parsed, self.dialect
        fragment = parsed.address_fragment or parsed.address_number

        def matches(column: str) -> tuple[str, list]:
            if parsed.address_number:
                return sql.has_number(column, parsed.address_number)
            return sql.contains(column, parsed.address_fragment)

        contact, contact_params = matches("c.contact_address")
        self._fragment(
            add,
            RANK_CONTACT_ADDRESS,
            table="customers_customer",
            column="contact_address",
            index=CONTACT_ADDRESS_KEYS,
            condition=contact,
            params=contact_params,
            fragment=fragment,
        )
        # A premise's customer whose contact address matches too was found just before.
        premise, premise_params = matches("p.address")
        self._fragment(
            add,
            RANK_PREMISE_ADDRESS,
            table="customers_premise",
            column="address",
            index=PREMISE_ADDRESS_KEYS,
            condition=(
                f"{premise} AND NOT EXISTS (SELECT 1 FROM customers_customer AS c "
                f"WHERE c.id = a.customer_id AND {contact})"
            ),
            params=[*premise_params, *contact_params],
            fragment=fragment,
            join="JOIN customers_account AS a ON a.premise_id = p.id",
            customer="a.customer_id",
            alias="p",
        )

    def _fragment(
        self,
        add,
        rank: int,
        *,
        table: str,
        column: str,
        index: GinIndex,
        condition: str,
        params: list,
        fragment: str,
        join: str = "",
        customer: str = "c.id",
        alias: str = "c",
    ) -> None:
        """A "contains" key: on PostgreSQL the window of the column's btree if the fragment
        is common, then the GIN index for its rarest keys; on SQLite one filter."""
        sql = self.dialect
        if not sql.postgres:
            source = f"{table} AS {alias} {join}"
            add(rank, source, condition, params, customer=customer, order=f"{alias}.{column}")
            return
        keys = sorted(
            gin_keys(fragment, numbers=index.numbers),
            key=lambda key: self.statistics.rows_with(index.name, key),
        )
        if self.statistics.rows_with(index.name, keys[0]) > SEARCH_WINDOW_ABOVE_ROWS:
            # id and the column only: an index-only scan of the "… COLLATE "C"" btree.
            window = (
                f"(SELECT id, {column} FROM {table} ORDER BY {sql.ordered(column)} "
                f"LIMIT {SEARCH_WINDOW}) AS {alias} {join}"
            )
            add(rank, window, condition, params, customer=customer)
        array, array_params = sql.keys(keys[:SEARCH_GIN_KEYS])
        add(
            rank,
            f"{table} AS {alias} {join}",
            f"{index.function}({alias}.{column}) @> {array} AND {condition}",
            [*array_params, *params],
            customer=customer,
        )


# --- how common a key is -------------------------------------------------------------------


@dataclass(frozen=True)
class GinIndex:
    name: str  # migration 0005
    function: str  # the SQL function it indexes
    numbers: bool  # holds "#<digits>" for numbers


NAME_KEYS = GinIndex("customer_name_grams", "waterdesk_grams", numbers=False)
CONTACT_ADDRESS_KEYS = GinIndex(
    "customer_contact_address_keys", "waterdesk_address_keys", numbers=True
)
PREMISE_ADDRESS_KEYS = GinIndex("premise_address_keys", "waterdesk_address_keys", numbers=True)


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


# --- numbers other apps keep ---------------------------------------------------------------


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
