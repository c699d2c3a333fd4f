"""Reads for customers, premises, accounts and meters."""

from __future__ import annotations

import datetime
import uuid

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from waterdesk.core.errors import NotFound
from waterdesk.customers.models import (
    Account,
    Customer,
    LookupAlert,
    Meter,
    PersonalDataAccess,
)
from waterdesk.customers.search.case_numbers import CaseMatch, case_matches
from waterdesk.customers.search.query import number_compact, search_query_parse
from waterdesk.customers.search.statement import SearchStatement


class SearchResults(list):
    """The customers found, best first; ``has_more`` when more matched than were asked for."""

    has_more = False


# One screen of results: when more match, the pages say so and the clerk types more (the
# customers page, the billing office's account search, the intake pick list, the API).
SEARCH_PAGE_SIZE = 20


def customer_search(*, query: str, limit: int = SEARCH_PAGE_SIZE) -> SearchResults:
    """Customers matching ``query`` by any key a clerk may have at hand.

    The query's shape decides the keys it can be (``customers.search``): a case number of a
    registered kind, an ID number, an account number, a mobile or its last 4+ digits, a name
    or a fragment of it, a fragment of the contact address or of an account's premise
    address. Each key is looked up on its own index, all in one statement that stops once
    the page is full. Exact key matches come first, then names starting with the query,
    names containing it, mobiles ending with it, contact addresses, premise addresses; by
    name within each. Each customer appears once, with ``accounts`` (and their premise)
    prefetched and ``matched_cases`` (the ``CaseMatch``es that found it, usually none).
    When more than ``limit`` match, ``has_more`` is set; which of a key's many hits fill
    the last places is then up to its index.
    """
    parsed = search_query_parse(query)
    if parsed is None or limit <= 0:
        return SearchResults()
    cases: dict[int, list[CaseMatch]] = {}
    for match in case_matches(parsed):
        cases.setdefault(match.customer_id, []).append(match)
    statement = SearchStatement(parsed, vendor=connection.vendor, case_customer_ids=list(cases))
    wanted = limit + 1  # one more than shown tells whether there are more
    found: dict[int, Customer] = {}
    while (asked := wanted - len(found)) > 0:
        sql = statement.sql(count=asked, exclude=list(found))
        if sql is None:
            break
        hits = list(Customer.objects.raw(*sql))
        for customer in hits:  # a customer found by two keys keeps the better one
            known = found.get(customer.pk)
            if known is None or customer.search_rank < known.search_rank:
                found[customer.pk] = customer
        if len(hits) < asked:
            break  # every key gave all it had
        # The page was full of hits but some were the same customer (by two keys, or two
        # accounts on matching premises): ask again for the customers not found yet.

    ranked = sorted(found.values(), key=lambda c: (c.search_rank, c.name, c.pk))
    results = SearchResults(ranked[:limit])
    results.has_more = len(ranked) > limit
    prefetch_related_objects(results, _accounts_with_premise())
    for customer in results:
        customer.matched_cases = cases.get(customer.pk, [])
    return results


def customer_get(*, public_id: uuid.UUID | str) -> Customer:
    """The customer with this public id, or ``NotFound``."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFound() from exc
    try:
        return Customer.objects.prefetch_related(_accounts_with_premise()).get(public_id=key)
    except Customer.DoesNotExist as exc:
        raise NotFound() from exc


def account_get_by_number(number: str) -> Account:
    """The account with this number (customer, premise and zone loaded), or ``NotFound``."""
    key = number_compact(str(number or ""))
    try:
        return Account.objects.select_related("customer", "premise__zone").get(number=key)
    except Account.DoesNotExist as exc:
        raise NotFound() from exc


def customer_accounts(customer: Customer) -> QuerySet[Account]:
    """The customer's accounts by number, with premise, zone and meters loaded."""
    return (
        Account.objects.filter(customer=customer)
        .select_related("premise__zone")
        .prefetch_related(Prefetch("meters", queryset=Meter.objects.order_by("serial")))
        .order_by("number")
    )


def _accounts_with_premise() -> Prefetch:
    return Prefetch(
        "accounts", queryset=Account.objects.select_related("premise").order_by("number")
    )


def personal_data_access_list(
    *,
    username: str = "",
    subject: str = "",
    field: str = "",
    reveals_only: bool = False,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[PersonalDataAccess]:
    """The personal-data access log, newest first; dates are local (Asia/Shanghai) days."""
    entries = PersonalDataAccess.objects.select_related("user", "customer")
    if username.strip():
        entries = entries.filter(user__username__iexact=username.strip())
    if subject.strip():
        text = subject.strip()
        entries = entries.filter(Q(customer__name__icontains=text) | Q(case_number=text.upper()))
    if field:
        entries = entries.filter(field=field)
    if reveals_only:
        entries = entries.filter(is_reveal=True)
    if date_from:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(created_at__date__lte=date_to)
    return entries.order_by("-created_at", "-pk")


def lookup_alert_list(*, limit: int = 20) -> list[LookupAlert]:
    return list(LookupAlert.objects.select_related("user").order_by("-hour_start", "-pk")[:limit])
