"""The collection panel of the customer's page (``CustomerPanel(details=collection_details)``,
issue 11 §5): the arrears file of each account that has a collection case — balance and
aging, the latest classification, the exemptions, the late fees posted and waived — and
under it each of the account's cases with its whole file (``selectors.dunning_files``).

The panel's template shows the files only to holders of ``collection.view_dunning``; they
are read on first use, so a page that does not show them reads nothing of them. Reading
them costs a fixed number of queries plus the aging of each account, whatever the number
of cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from waterdesk.billing.models import LateFeeWaiver, LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import AGING_BUCKETS, AGING_LABELS, account_aging
from waterdesk.collection.models import AccountArrears, CollectionExemption, Dunning
from waterdesk.collection.selectors import dunning_files

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LateFee:
    entry: LedgerEntry  # > 0 posted, < 0 waived
    waiver: LateFeeWaiver | None  # the approved waiver behind a negative entry

    @property
    def is_waiver(self) -> bool:
        return self.entry.amount < 0

    @property
    def amount(self) -> Decimal:
        return abs(self.entry.amount)


@dataclass
class ArrearsFile:
    """One account's arrears file."""

    account: object
    balance: Decimal
    overdue: Decimal
    aging: list[tuple[str, Decimal]]
    arrears: AccountArrears | None  # the latest classification, None: not in arrears then
    exemptions: list[CollectionExemption]  # not revoked nor expired (some may start later)
    late_fees: list[LateFee]
    cases: list[CaseFile] = field(default_factory=list)  # open first, as the panel lists them
    today: date | None = None

    @property
    def late_fees_posted(self) -> Decimal:
        return sum((fee.amount for fee in self.late_fees if not fee.is_waiver), ZERO)

    @property
    def late_fees_waived(self) -> Decimal:
        return sum((fee.amount for fee in self.late_fees if fee.is_waiver), ZERO)


@dataclass
class CaseFile:
    """One collection case: its detail and ``dunning_file``'s parts."""

    case: object
    dunning: Dunning
    parts: dict
    arrears_file: ArrearsFile
    leads: bool  # the first case of its account on the panel: the account's file goes here


class _Files:
    """The files of the panel's cases, read together on first use."""

    def __init__(self, cases: list) -> None:
        self.cases = cases

    @cached_property
    def by_case(self) -> dict[int, CaseFile]:
        return _read(self.cases, today=timezone.localdate())


@dataclass(frozen=True)
class CollectionDetail:
    """``row.detail`` of a collection case on the customer's page."""

    files: _Files
    case_id: int

    @property
    def file(self) -> CaseFile | None:
        return self.files.by_case.get(self.case_id)


def collection_details(cases: list) -> dict[int, CollectionDetail]:
    files = _Files(cases)
    return {case.pk: CollectionDetail(files=files, case_id=case.pk) for case in cases}


def _aging(account, *, today: date) -> tuple[Decimal, Decimal, list[tuple[str, Decimal]]]:
    aging = account_aging(account, as_of=today)
    overdue = sum((aging[key] for key, _limit in AGING_BUCKETS if key != "not_due"), ZERO)
    rows = [(str(AGING_LABELS[key]), aging[key]) for key, _limit in AGING_BUCKETS if aging[key]]
    return aging["balance"], overdue, rows


def _late_fees(account_ids: list[int]) -> dict[int, list[LateFee]]:
    entries = list(
        LedgerEntry.objects.filter(account_id__in=account_ids, kind=LedgerEntryKind.LATE_FEE)
        .select_related("bill")
        .order_by("posted_at", "pk")
    )
    waived = [entry.pk for entry in entries if entry.amount < 0]
    waivers = (
        {
            waiver.ledger_entry_id: waiver
            for waiver in LateFeeWaiver.objects.filter(ledger_entry_id__in=waived).select_related(
                "approved_by"
            )
        }
        if waived
        else {}
    )
    fees: dict[int, list[LateFee]] = {pk: [] for pk in account_ids}
    for entry in entries:
        fees[entry.account_id].append(LateFee(entry=entry, waiver=waivers.get(entry.pk)))
    return fees


def _read(cases: list, *, today: date) -> dict[int, CaseFile]:
    dunnings = {
        dunning.pk: dunning
        for dunning in Dunning.objects.filter(pk__in=[case.pk for case in cases]).select_related(
            "account", "strategy", "step"
        )
    }
    parts = dunning_files(list(dunnings))
    accounts = {}
    for case in cases:  # the panel's order: the account of the first open case first
        dunning = dunnings.get(case.pk)
        if dunning is not None:
            accounts.setdefault(dunning.account_id, dunning.account)
    account_ids = list(accounts)
    arrears = {
        row.account_id: row
        for row in AccountArrears.objects.filter(account_id__in=account_ids).select_related(
            "amount_band", "age_band", "strategy"
        )
    }
    exemptions: dict[int, list[CollectionExemption]] = {pk: [] for pk in account_ids}
    for exemption in (
        CollectionExemption.objects.filter(account_id__in=account_ids, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=today))
        .order_by("starts_at", "pk")
    ):
        exemptions[exemption.account_id].append(exemption)
    late_fees = _late_fees(account_ids)
    files = {}
    for account_id, account in accounts.items():
        balance, overdue, aging = _aging(account, today=today)
        files[account_id] = ArrearsFile(
            account=account,
            balance=balance,
            overdue=overdue,
            aging=aging,
            arrears=arrears.get(account_id),
            exemptions=exemptions[account_id],
            late_fees=late_fees[account_id],
            today=today,
        )
    by_case = {}
    for case in cases:
        dunning = dunnings.get(case.pk)
        if dunning is None:
            continue
        arrears_file = files[dunning.account_id]
        case_file = CaseFile(
            case=case,
            dunning=dunning,
            parts=parts[case.pk],
            arrears_file=arrears_file,
            leads=not arrears_file.cases,
        )
        arrears_file.cases.append(case_file)
        by_case[case.pk] = case_file
    return by_case
