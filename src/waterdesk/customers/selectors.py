"""Reads for customers, premises, accounts and meters."""

from __future__ import annotations

import datetime
import re
import unicodedata
import uuid

from django.db.models import Case as CaseWhen
from django.db.models import Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When

from waterdesk.core.errors import NotFound
from waterdesk.customers.models import (
    Account,
    Customer,
    LookupAlert,
    Meter,
    PersonalDataAccess,
)

SEARCH_MIN_MOBILE_SUFFIX = 4
_SEPARATORS = re.compile(r"[\s\-()（）]+")


def customer_search(*, query: str, limit: int = 20) -> list[Customer]:
    """Customers matching ``query`` by any key a clerk may have at hand.

    Name (contains), mobile (exact or a suffix of at least 4 digits), ID number (exact,
    case-insensitive), account number (exact), contact address or an account's premise
    address (contains). Exact key matches (ID, account number, full mobile) come first;
    each customer appears once, with ``accounts`` (and their premise) prefetched.
    """
    text = " ".join(unicodedata.normalize("NFKC", query or "").split())
    if not text or limit <= 0:
        return []
    compact = _SEPARATORS.sub("", text)
    digits = compact.removeprefix("+86")
    # ID numbers are stored upper-case (validation.validate_*), so an exact match on the
    # upper-cased query is the case-insensitive match, and it can use the index.
    id_key = compact.upper()

    accounts = Account.objects.filter(customer=OuterRef("pk"))
    exact = Q(id_number=id_key) | Q(Exists(accounts.filter(number=compact)))
    if digits.isdigit():
        exact |= Q(mobile=digits)
    matches = (
        exact
        | Q(name__icontains=text)
        | Q(contact_address__icontains=text)
        | Q(Exists(accounts.filter(premise__address__icontains=text)))
    )
    if digits.isdigit() and len(digits) >= SEARCH_MIN_MOBILE_SUFFIX:
        matches |= Q(mobile__endswith=digits)

    customers = (
        Customer.objects.filter(matches)
        .annotate(
            search_rank=CaseWhen(
                When(exact, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("search_rank", "name", "pk")
        .prefetch_related(_accounts_with_premise())
    )
    return list(customers[:limit])


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
    key = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(number or "")))
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
