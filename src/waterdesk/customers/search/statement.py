"""The search's statement: one branch per key, each on its own index, in rank order."""

from __future__ import annotations

from dataclasses import dataclass

from waterdesk.customers.search.keys import (
    CONTACT_ADDRESS_KEYS,
    NAME_KEYS,
    PREMISE_ADDRESS_KEYS,
    GinIndex,
    KeyStatistics,
    gin_keys,
)
from waterdesk.customers.search.query import SearchQuery

# Ranks: exact keys first, then the name (starting with the query, then containing it), the
# end of the mobile, the contact address, an account's premise address.
RANK_EXACT, RANK_NAME_STARTS, RANK_NAME_CONTAINS, RANK_MOBILE_ENDS = 0, 1, 2, 3
RANK_CONTACT_ADDRESS, RANK_PREMISE_ADDRESS = 4, 5
# A fragment whose rarest key is in more than SEARCH_WINDOW_ABOVE_ROWS rows (by the index's
# statistics) is first looked for among the first SEARCH_WINDOW entries of the column's
# btree in order: one in more than about limit / SEARCH_WINDOW of the rows fills the page
# there. A rarer one costs the GIN index less than the window.
SEARCH_WINDOW = 4000
SEARCH_WINDOW_ABOVE_ROWS = 10_000
SEARCH_GIN_KEYS = 3  # the rarest keys of a fragment that the GIN index is asked for


@dataclass(frozen=True)
class _Searched:
    """A column that a fragment is looked for in, and how its rows lead to a customer."""

    table: str
    column: str
    alias: str
    index: GinIndex
    join: str = ""
    customer: str = "c.id"


NAMES = _Searched("customers_customer", "name", "c", NAME_KEYS)
CONTACT_ADDRESSES = _Searched("customers_customer", "contact_address", "c", CONTACT_ADDRESS_KEYS)
PREMISE_ADDRESSES = _Searched(
    "customers_premise",
    "address",
    "p",
    PREMISE_ADDRESS_KEYS,
    join="JOIN customers_account AS a ON a.premise_id = p.id",
    customer="a.customer_id",
)


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
                NAMES,
                fragment,
                f"{contains} AND NOT {starts}",
                [*contains_params, *starts_params],
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
            add, RANK_CONTACT_ADDRESS, CONTACT_ADDRESSES, fragment, contact, contact_params
        )
        # A premise's customer whose contact address matches too was found just before.
        premise, premise_params = matches("p.address")
        known = (
            "EXISTS (SELECT 1 FROM customers_customer AS c "
            f"WHERE c.id = a.customer_id AND {contact})"
        )
        self._fragment(
            add,
            RANK_PREMISE_ADDRESS,
            PREMISE_ADDRESSES,
            fragment,
            f"{premise} AND NOT {known}",
            [*premise_params, *contact_params],
        )

    def _fragment(
        self, add, rank: int, searched: _Searched, fragment: str, condition: str, params: list
    ) -> None:
        """A "contains" key: on PostgreSQL the window of the column's btree if the fragment
        is common, then the GIN index for its rarest keys; on SQLite one filter."""
        sql, index = self.dialect, searched.index
        table, column, alias = searched.table, searched.column, searched.alias
        join, customer = searched.join, searched.customer
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
