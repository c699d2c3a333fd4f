"""The customer's page: one place for everything the service hall needs about a customer.

Accounts with premise, meters, usage category, tariff, balance and aging, the last bills,
payments and meter reads; every case the user may see, in one panel per registered kind
(``KindSpec.customer_panel``: a new kind brings its panel with its registration); the
notifications sent; the banners other apps register at the top
(``cases.kinds.customer_banner_register``: the incidents and outages at the customer's
premises); and what the user may start from here (an intake of any kind for this customer
or one of its accounts, a printed statement).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind, MeterRead
from waterdesk.billing.selectors.bills import bill_list_for_account
from waterdesk.billing.selectors.ledger import (
    AGING_BUCKETS,
    AGING_LABELS,
    account_aging,
    account_balance,
)
from waterdesk.billing.selectors.reading import account_reads
from waterdesk.billing.selectors.tariffs import account_tariff_on
from waterdesk.cases.kinds import KindSpec, account_sections_for, all_kinds, customer_banners_for
from waterdesk.cases.selectors import case_scope
from waterdesk.core.errors import NotFound
from waterdesk.core.web import has_perm
from waterdesk.customers.models import Account, AccountStatus
from waterdesk.customers.privacy import customer_lookup_count
from waterdesk.customers.selectors import customer_accounts, customer_get
from waterdesk.notify.models import Notification
from waterdesk.payments.models import Payment
from waterdesk.workbench.views import CaseRow, case_rows, desk_view

BILLS_SHOWN = 3
PAYMENTS_SHOWN = 5
READS_SHOWN = 5
NOTIFICATIONS_SHOWN = 20


@dataclass
class AccountPanel:
    account: Account
    tariff: str
    balance: Decimal
    overdue: Decimal
    aging: list[tuple[str, Decimal]]
    bills: list[Bill]
    payments: list[LedgerEntry]
    reads: list[MeterRead]
    intakes: list[dict] = field(default_factory=list)  # intakes that start from an account
    # (template, context) of the sections other apps add (``cases.kinds.AccountSection``)
    sections: list[tuple[str, dict]] = field(default_factory=list)


@dataclass
class KindPanel:
    spec: KindSpec
    rows: list[CaseRow]

    @property
    def open_count(self) -> int:
        return sum(row.case.is_open for row in self.rows)


def _tariff_name(account: Account, today) -> str:
    try:
        return account_tariff_on(account, today).name
    except NotFound:
        return ""


def _account_panel(account: Account, *, today, intakes: list, user) -> AccountPanel:
    aging = account_aging(account, as_of=today)
    return AccountPanel(
        account=account,
        tariff=_tariff_name(account, today),
        balance=account_balance(account),
        overdue=sum((aging[key] for key, _limit in AGING_BUCKETS if key != "not_due"), Decimal(0)),
        aging=[(AGING_LABELS[key], aging[key]) for key, _limit in AGING_BUCKETS if aging[key]],
        bills=list(bill_list_for_account(account)[:BILLS_SHOWN]),
        payments=_payments(account),
        reads=list(account_reads(account)[:READS_SHOWN]),
        intakes=[
            {**intake, "url": f"{intake['url']}?account={account.number}"} for intake in intakes
        ]
        if account.status != AccountStatus.CLOSED
        else [],
        sections=account_sections_for(account, user),
    )


def _payments(account: Account) -> list[LedgerEntry]:
    """The account's last payment entries, each with the ``payments.Payment`` it belongs to
    (receipt number, channel, method, voided or reversed) as ``entry.payment`` — None for
    an entry posted without one (an import, an older record)."""
    entries = list(
        LedgerEntry.objects.filter(account=account, kind=LedgerEntryKind.PAYMENT).order_by(
            "-posted_at", "-pk"
        )[:PAYMENTS_SHOWN]
    )
    through = Payment.entries.through.objects.filter(
        ledgerentry_id__in=[entry.pk for entry in entries]
    ).select_related("payment")
    by_entry = {row.ledgerentry_id: row.payment for row in through}
    for entry in entries:
        entry.payment = by_entry.get(entry.pk)
    return entries


def kind_panels(customer, user, *, now) -> list[KindPanel]:
    """The customer's cases the user may see, one panel per kind that has any: open cases
    first (newest first), then the most recently closed."""
    cases = (
        case_scope(user)
        .filter(customer=customer)
        .select_related("customer", "premise", "assignee")
        .order_by(F("closed_at").desc(nulls_first=True), "-opened_at", "-pk")
    )
    rows = case_rows(cases, now=now)
    panels = []
    for spec in all_kinds():
        mine = [row for row in rows if row.case.kind == spec.kind]
        if not mine:
            continue
        details = spec.customer_panel.details
        if details is not None:
            found = details([row.case for row in mine])
            for row in mine:
                row.detail = found.get(row.case.pk)
        panels.append(KindPanel(spec=spec, rows=mine))
    return panels


def _intakes(user) -> dict[str, list[dict]]:
    """The intake pages the user may open, by what they start from."""
    starts: dict[str, list[dict]] = {"customer": [], "account": []}
    for spec in all_kinds():
        intake = spec.intake
        if intake is None or not intake.url_name or not user.has_perm(intake.permission):
            continue
        if intake.starts_from not in starts:  # not started from a customer's page
            continue
        starts[intake.starts_from].append({"label": intake.label, "url": reverse(intake.url_name)})
    return starts


@require_GET
@desk_view(has_perm("customers.view_customer"))
def customer_detail(request: HttpRequest, public_id) -> HttpResponse:
    customer = customer_get(public_id=public_id)
    customer_lookup_count(user=request.user)
    now = timezone.now()
    today = timezone.localdate(now)
    intakes = _intakes(request.user)
    accounts = [
        _account_panel(account, today=today, intakes=intakes["account"], user=request.user)
        for account in customer_accounts(customer)
    ]
    context = {
        "customer": customer,
        "banners": customer_banners_for(customer, request.user),
        "accounts": accounts,
        "panels": kind_panels(customer, request.user, now=now),
        "notifications": Notification.objects.filter(customer=customer)
        .select_related("case")
        .order_by("-created_at", "-pk")[:NOTIFICATIONS_SHOWN],
        "customer_intakes": [
            {**intake, "url": f"{intake['url']}?customer={customer.public_id}"}
            for intake in intakes["customer"]
        ],
        "may_view_bills": request.user.has_perm("billing.view_bill"),
    }
    return render(request, "workbench/customer.html", context)
