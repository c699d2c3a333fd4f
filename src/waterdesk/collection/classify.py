"""The nightly arrears classification, set-based (issue 11 §1).

Every account with an overdue balance on ``as_of`` gets one ``AccountArrears`` row: what
is overdue (the unpaid debts due before ``as_of``), the due date of the oldest unpaid debt
and its days overdue, the amount and age bands these fall in, the matrix's strategy for
the cell, and the exemptions active on ``as_of``. Unpaid means after the FIFO aging of
``billing.selectors.ledger`` (its module docstring): reversal pairs cancelled, late-fee
waivers that name a bill settling that bill's late fees first, payments that name a bill
settling what is left of that bill's debts next, then every other credit (and what is left
of those) settling the oldest debts.

Three statements compute it (with two temporary tables), on PostgreSQL and SQLite alike
(in whole fen, so that no sum is rounded), in one transaction after the previous run's
rows are deleted. The FIFO needs no running sum to find *how much* is overdue, because the
debts due before ``as_of`` come first in due order:

- a bill's late-fee waivers settle its late fees in due order, so of its overdue fees they
  settle ``waived_overdue = min(waived, overdue fees of the bill)``, and of all its fees
  ``waived_all = min(waived, all fees of the bill)``; ``waived − waived_all`` is left over
  for the other debts;
- a bill's targeted payments then settle what is left of its debts in due order, so of its
  overdue debts they settle ``min(targeted, overdue debts of the bill − waived_overdue)``,
  and ``max(0, targeted − (all debts of the bill − waived_all))`` is left over;
- the account's free credit (every other credit plus those leftovers) settles the oldest
  debts first, so ``overdue = max(0, overdue debts left − free credit)``.

1. ``collection_targeted``: per bill named by a payment or a waiver, what its waivers and
   targeted payments settle of its overdue debts and what is left of them (only those
   bills' entries are summed);
2. ``collection_arrears``: per account, one pass over the ledger (parallel workers may
   scan for a ``CREATE TABLE … AS``, never for an ``INSERT``): the overdue debts and the
   free credit, with step 1's settlements and leftovers, keeping the accounts whose overdue
   debts exceed their free credit (a small share of all); analysed, so that the last
   statement is planned on real numbers;
3. ``INSERT … SELECT``: for those accounts only, a running sum of the overdue debts in due
   order (window functions) finds the oldest debt the free credit does not cover — its due
   date is the age of the arrears — then the bands, the matrix's strategy and the active
   exemptions.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from waterdesk.collection.models import AccountArrears, ClassificationRun
from waterdesk.core.locks import job_lock_for_transaction
from waterdesk.core.timeutil import LOCAL_TZ

# The parts that differ between PostgreSQL and SQLite. Sums are of ``value``, whole fen: a
# ``float8`` on PostgreSQL (exact below 2^53 fen, and a sum kept by value: much faster than
# ``numeric``), an integer on SQLite.
_DIALECTS = {
    "postgresql": {
        "value": "(e.amount * 100)::float8",
        "local_date": "(e.posted_at AT TIME ZONE 'Asia/Shanghai')::date",
        "days": "(%(as_of)s::date - o.oldest_due)",
        "money": "(%s::numeric / 100)",
        "kinds": "string_agg(kind, ',' ORDER BY kind)",
        "least": "LEAST",
        "greatest": "GREATEST",
    },
    "sqlite": {
        "value": "CAST(round(e.amount * 100) AS INTEGER)",
        "local_date": "date(e.posted_at, '+8 hours')",  # Asia/Shanghai keeps no summer time
        "days": "CAST(julianday(%(as_of)s) - julianday(o.oldest_due) AS INTEGER)",
        "money": "(%s / 100.0)",
        "kinds": "group_concat(kind, ',')",
        "least": "min",
        "greatest": "max",
    },
}

# An entry and its reversal, both posted by the day, cancel each other.
_CANCELLED = """
    SELECT r.id FROM billing_ledgerentry r JOIN billing_ledgerentry o ON o.id = r.reverses_id
    WHERE r.reverses_id IS NOT NULL AND r.posted_at < %(end)s AND o.posted_at < %(end)s
    UNION ALL
    SELECT o.id FROM billing_ledgerentry r JOIN billing_ledgerentry o ON o.id = r.reverses_id
    WHERE r.reverses_id IS NOT NULL AND r.posted_at < %(end)s AND o.posted_at < %(end)s
"""

# 1. Per bill named by a payment or a late-fee waiver (its debts are settled by those
# first): what they settle of its overdue debts and what is left of them.
_TARGETED = """
CREATE TEMP TABLE collection_targeted AS
SELECT b.account_id, b.targeted_bill, b.waived, b.targeted,
       b.waived_overdue + {least}(b.targeted, b.overdue_debts - b.waived_overdue) AS settled,
       b.waived - b.waived_all + {greatest}(0, b.targeted - (b.debts - b.waived_all))
           AS leftover
FROM (
    SELECT s.account_id, s.targeted_bill, s.overdue_debts, s.debts, s.waived, s.targeted,
           {least}(s.waived, s.overdue_fees) AS waived_overdue,
           {least}(s.waived, s.fees) AS waived_all
    FROM (
        SELECT e.account_id, e.bill_id AS targeted_bill,
               COALESCE(SUM({value}) FILTER (
                   WHERE e.amount > 0 AND COALESCE(e.due_date, {local_date}) < %(as_of)s), 0
               ) AS overdue_debts,
               COALESCE(SUM({value}) FILTER (WHERE e.amount > 0), 0) AS debts,
               COALESCE(SUM({value}) FILTER (
                   WHERE e.amount > 0 AND e.kind = 'late_fee'
                     AND COALESCE(e.due_date, {local_date}) < %(as_of)s), 0
               ) AS overdue_fees,
               COALESCE(SUM({value}) FILTER (WHERE e.amount > 0 AND e.kind = 'late_fee'), 0)
                   AS fees,
               COALESCE(-SUM({value}) FILTER (
                   WHERE e.amount < 0 AND e.kind = 'late_fee'), 0
               ) AS waived,
               COALESCE(-SUM({value}) FILTER (
                   WHERE e.amount < 0 AND e.kind = 'payment'), 0
               ) AS targeted
        FROM billing_ledgerentry e
        WHERE e.posted_at < %(end)s AND e.amount <> 0
          AND e.bill_id IN (
              SELECT bill_id FROM billing_ledgerentry
              WHERE kind IN ('payment', 'late_fee') AND bill_id IS NOT NULL AND amount < 0
                AND posted_at < %(end)s
          )
          AND NOT EXISTS (SELECT 1 FROM ({cancelled}) AS c WHERE c.id = e.id)
        GROUP BY e.account_id, e.bill_id
    ) AS s
) AS b
"""

# 2. The accounts in arrears: their overdue debts, less what the waivers and targeted
# payments settle of them, less the free credit (every other credit and their leftovers).
_ARREARS = """
CREATE TEMP TABLE collection_arrears AS
SELECT s.account_id,
       s.overdue_debts - COALESCE(x.settled, 0) - s.free_credit - COALESCE(x.leftover, 0)
           AS overdue,
       s.free_credit + COALESCE(x.leftover, 0) AS credit,
       s.balance
FROM (
    SELECT e.account_id,
           COALESCE(SUM({value}) FILTER (
               WHERE e.amount > 0 AND COALESCE(e.due_date, {local_date}) < %(as_of)s), 0
           ) AS overdue_debts,
           COALESCE(-SUM({value}) FILTER (
               WHERE e.amount < 0
                 AND (e.kind NOT IN ('payment', 'late_fee') OR e.bill_id IS NULL)), 0
           ) AS free_credit,
           SUM({value}) AS balance
    FROM billing_ledgerentry e
    WHERE e.posted_at < %(end)s AND e.amount <> 0
      AND NOT EXISTS (SELECT 1 FROM ({cancelled}) AS c WHERE c.id = e.id)
    GROUP BY e.account_id
) AS s
LEFT JOIN (
    SELECT account_id, SUM(settled) AS settled, SUM(leftover) AS leftover
    FROM collection_targeted
    GROUP BY account_id
) AS x ON x.account_id = s.account_id
WHERE s.overdue_debts - COALESCE(x.settled, 0) > s.free_credit + COALESCE(x.leftover, 0)
"""

# 3. Their oldest unpaid debt (running sums), bands, strategy and exemptions: the rows.
_INSERT = """
INSERT INTO collection_accountarrears (
    account_id, run_id, balance, overdue_amount, oldest_due_date, days_overdue,
    amount_band_id, age_band_id, strategy_id, is_exempt, exemption_kinds, classified_at
)
WITH debts AS (
    -- The overdue debts of the accounts in arrears, in due order; ``settled``: what the
    -- waivers naming the debt's bill pay of it (a late fee, after the bill's fees before
    -- it), then the payments naming it (after what is left of the bill's debts before it).
    SELECT w.account_id, w.due, w.posted_at, w.id, w.value, w.credit,
           w.waived_here + {least}(
               {greatest}(w.targeted - w.bill_before + {least}(w.waived, w.fees_before), 0),
               w.value - w.waived_here
           ) AS settled
    FROM (
        SELECT d.account_id, d.due, d.posted_at, d.id, d.value, d.credit, d.waived,
               d.targeted, d.bill_before, d.fees_before,
               CASE
                   WHEN d.is_fee THEN {least}({greatest}(d.waived - d.fees_before, 0), d.value)
                   ELSE 0
               END AS waived_here
        FROM (
            SELECT e.account_id, e.posted_at, e.id, a.credit, e.kind = 'late_fee' AS is_fee,
                   COALESCE(p.waived, 0) AS waived, COALESCE(p.targeted, 0) AS targeted,
                   COALESCE(e.due_date, {local_date}) AS due, {value} AS value,
                   COALESCE(SUM({value}) OVER bill, 0) AS bill_before,
                   COALESCE(SUM(CASE WHEN e.kind = 'late_fee' THEN {value} ELSE 0 END)
                       OVER bill, 0) AS fees_before
            FROM billing_ledgerentry e
            JOIN collection_arrears a ON a.account_id = e.account_id
            LEFT JOIN collection_targeted p
                ON p.account_id = e.account_id AND p.targeted_bill = e.bill_id
            WHERE e.posted_at < %(end)s AND e.amount > 0
              AND COALESCE(e.due_date, {local_date}) < %(as_of)s
              AND NOT EXISTS (SELECT 1 FROM ({cancelled}) AS c WHERE c.id = e.id)
            WINDOW bill AS (
                PARTITION BY e.account_id, p.targeted_bill
                ORDER BY COALESCE(e.due_date, {local_date}), e.posted_at, e.id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            )
        ) AS d
    ) AS w
),
oldest AS (
    SELECT account_id, MIN(due) AS oldest_due
    FROM (
        SELECT account_id, due, value - settled AS unpaid, credit,
               SUM(value - settled) OVER (
                   PARTITION BY account_id ORDER BY due, posted_at, id
               ) AS running
        FROM debts
    ) AS running
    WHERE unpaid > 0 AND running > credit
    GROUP BY account_id
),
exempt AS (
    SELECT account_id, {kinds} AS kinds
    FROM (
        SELECT DISTINCT account_id, kind FROM collection_collectionexemption
        WHERE revoked_at IS NULL AND starts_at <= %(as_of)s
          AND (expires_at IS NULL OR expires_at > %(as_of)s)
        ORDER BY account_id, kind
    ) AS active
    GROUP BY account_id
),
classified AS (
    SELECT a.account_id, a.overdue, a.balance, o.oldest_due, {days} AS days, x.kinds,
           (SELECT b.id FROM collection_amountband b
            WHERE a.overdue >= b.lower * 100 AND (b.upper IS NULL OR a.overdue < b.upper * 100)
            ORDER BY b.lower DESC, b.id LIMIT 1) AS amount_band_id
    FROM collection_arrears a
    JOIN oldest o ON o.account_id = a.account_id
    LEFT JOIN exempt x ON x.account_id = a.account_id
),
banded AS (
    SELECT c.*,
           (SELECT g.id FROM collection_ageband g
            WHERE c.days >= g.min_days AND (g.max_days IS NULL OR c.days <= g.max_days)
            ORDER BY g.min_days DESC, g.id LIMIT 1) AS age_band_id
    FROM classified c
)
SELECT c.account_id, %(run)s, {balance}, {overdue}, c.oldest_due, c.days,
       c.amount_band_id, c.age_band_id,
       (SELECT r.strategy_id FROM collection_classificationrule r
        JOIN collection_collectionstrategy s ON s.id = r.strategy_id AND s.is_active
        WHERE r.amount_band_id = c.amount_band_id AND r.age_band_id = c.age_band_id),
       c.kinds IS NOT NULL, COALESCE(c.kinds, ''), %(now)s
FROM banded c
ORDER BY c.account_id
"""


def classify_statements(vendor: str) -> list[str]:
    """The statements of one classification, in order."""
    dialect = _DIALECTS[vendor]
    fields = {
        **dialect,
        "balance": dialect["money"] % "c.balance",
        "overdue": dialect["money"] % "c.overdue",
        "cancelled": _CANCELLED,
    }
    return [
        "DROP TABLE IF EXISTS collection_targeted",
        "DROP TABLE IF EXISTS collection_arrears",
        _TARGETED.format(**fields),
        "ANALYZE collection_targeted",
        _ARREARS.format(**fields),
        "ANALYZE collection_arrears",
        _INSERT.format(**fields),
        "DROP TABLE collection_targeted",
        "DROP TABLE collection_arrears",
    ]


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ)


def _lock() -> None:
    """One classification at a time (two would each delete, then insert the same
    accounts)."""
    job_lock_for_transaction("collection_classify")


@transaction.atomic
def collection_classify(*, as_of: date) -> ClassificationRun:
    """Replace the arrears rows with those of ``as_of`` (see the module docstring); the run
    records how many accounts and how long."""
    if connection.vendor not in _DIALECTS:
        raise NotImplementedError(f"no arrears classification SQL for {connection.vendor}")
    _lock()
    started = time.perf_counter()
    now = timezone.now()
    run = ClassificationRun.objects.create(started_at=now, as_of=as_of)
    ops = connection.ops
    params = {
        "end": ops.adapt_datetimefield_value(_end_of_day(as_of)),
        "as_of": ops.adapt_datefield_value(as_of),
        "run": run.pk,
        "now": ops.adapt_datetimefield_value(now),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sums per account are hashed in memory rather than spilled to disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        AccountArrears.objects.all().delete()
        for statement in classify_statements(connection.vendor):
            cursor.execute(statement, params)
    run.accounts_classified = AccountArrears.objects.filter(run=run).count()
    run.finished_at = timezone.now()
    run.seconds = round(time.perf_counter() - started, 3)
    run.save(update_fields=["accounts_classified", "finished_at", "seconds"])
    return run


@transaction.atomic
def collection_classify_once(*, as_of: date) -> ClassificationRun | None:
    """The nightly job: classify for ``as_of`` unless a run for that day has finished
    (beat sends it every hour so that a day is not missed); None when it did nothing."""
    _lock()
    if ClassificationRun.objects.filter(as_of=as_of, finished_at__isnull=False).exists():
        return None
    return collection_classify(as_of=as_of)
