"""What the bill-run form checks before a run: which cycle is ready to be billed, and what
of it is not read or not reviewed yet (those accounts are skipped by the run)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef

from waterdesk.billing.models import (
    Bill,
    BillRun,
    BillRunStatus,
    MeterRead,
    ReadingCycle,
    ReadStatus,
)
from waterdesk.billing.selectors.bills import reading_cycles_open
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import Account, AccountStatus, Meter, MeterState


def reading_cycle_ready_to_bill(*, today: date) -> ReadingCycle | None:
    """The cycle a bill run should be started for: the earliest open one not billed yet
    whose reading window is over; else the one being read; else the latest open one."""
    cycles = reading_cycles_open()
    unbilled = cycles.exclude(
        Exists(BillRun.objects.filter(cycle=OuterRef("pk"), status=BillRunStatus.COMPLETED))
    )
    return (
        unbilled.filter(read_to__lt=today).order_by("read_to", "pk").first()
        or unbilled.filter(read_from__lte=today).order_by("-read_from", "-pk").first()
        or cycles.first()
    )


@dataclass(frozen=True)
class RunChecks:
    """What is still open in a cycle; a run skips the accounts concerned."""

    cycle: ReadingCycle
    window_open: bool  # the reading window has not ended yet
    reads_in_review: int
    accounts_unread: int  # active, with a meter, no read in the cycle, no bill for it
    accounts_unrouted: int  # active and on no route: never read

    @property
    def needs_confirmation(self) -> bool:
        return bool(
            self.window_open
            or self.reads_in_review
            or self.accounts_unread
            or self.accounts_unrouted
        )


def bill_run_checks(cycle: ReadingCycle, *, today: date) -> RunChecks:
    window_end = datetime.combine(cycle.read_to + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    active = Account.objects.filter(status=AccountStatus.ACTIVE, opened_at__lt=window_end)
    unread = (
        active.filter(
            Exists(Meter.objects.filter(account_id=OuterRef("pk"), state=MeterState.INSTALLED))
        )
        .exclude(Exists(Bill.objects.filter(account_id=OuterRef("pk"), cycle_id=cycle.pk)))
        .exclude(
            Exists(
                MeterRead.objects.filter(account_id=OuterRef("pk"), cycle_id=cycle.pk).exclude(
                    status=ReadStatus.REJECTED
                )
            )
        )
    )
    return RunChecks(
        cycle=cycle,
        window_open=today <= cycle.read_to,
        reads_in_review=MeterRead.objects.filter(
            cycle=cycle, status=ReadStatus.NEEDS_REVIEW
        ).count(),
        accounts_unread=unread.count(),
        accounts_unrouted=active.filter(route__isnull=True).count(),
    )
