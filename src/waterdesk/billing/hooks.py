"""What other apps do around billing without billing knowing them.

- ``bill_run_preparing``: ``(cycle=, actor=)``, called by ``bill_run_create`` inside its
  transaction before the accounts to bill are planned (shared and master meters write
  their allocated reads for the cycle). What it raises refuses the run.
- ``bills_issued``: ``(bill_ids=, issued_at=)``, called inside the transaction that
  issues bills (a bill run's chunk, a final bill), after they are written (prepaid
  balances settle the new bills).
- ``bill_credited``: ``(entry=, bill=)``, called inside the transaction that posts a
  credit note against a bill (an e-invoice of the bill is reversed).

Finance reports: apps register the report pages the finance office uses
(``finance_report_register``); the finance index lists those the user may open.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from waterdesk.core.listeners import Listeners

bill_run_preparing = Listeners("bill_run_preparing")
bills_issued = Listeners("bills_issued")
bill_credited = Listeners("bill_credited")


@dataclass(frozen=True)
class FinanceReport:
    name: str
    label: Promise | str
    url_name: str
    permission: str
    description: Promise | str = ""


_FINANCE_REPORTS: dict[str, FinanceReport] = {}


def finance_report_register(report: FinanceReport) -> FinanceReport:
    _FINANCE_REPORTS[report.name] = report
    return report


def finance_reports_for(user) -> list[FinanceReport]:
    return [report for report in _FINANCE_REPORTS.values() if user.has_perm(report.permission)]
