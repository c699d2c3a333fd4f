"""Comparing the bills of two runs."""

from waterdesk.billing.models import Bill, BillLine, LedgerEntry


def bills_snapshot():
    """Every bill with its lines and charge, comparable across runs."""
    rows = []
    for bill in Bill.objects.order_by("number"):
        lines = tuple(
            BillLine.objects.filter(bill=bill)
            .order_by("pk")
            .values_list("component_name", "tier_index", "volume", "unit_price", "amount")
        )
        charges = tuple(LedgerEntry.objects.filter(bill=bill).values_list("kind", "amount"))
        rows.append(
            (
                bill.number,
                bill.account_id,
                bill.period_start,
                bill.period_end,
                bill.closing_read_id,
                bill.volume,
                bill.amount,
                bill.due_date,
                lines,
                charges,
            )
        )
    return rows
