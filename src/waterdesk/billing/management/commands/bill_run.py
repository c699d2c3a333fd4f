"""``python manage.py bill_run CYCLE_CODE``: bill a reading cycle in this process.

    bill_run 2026-03                    plan a run for the cycle and work every chunk
    bill_run 2026-03 --chunk-size 5000  bigger chunks
    bill_run 2026-03 --resume RUN_ID    take up a failed or interrupted run (its public id)
    bill_run 2026-03 --threads 1        one thread (by default two share the chunks on
                                        PostgreSQL: one prices while the other writes)

A progress bar with the rate in accounts per second goes to stderr; the exit status is
non-zero when the run ends failed (the failed chunks are listed: resume the run).
"""

import time
import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from waterdesk.billing.models import BillRun, BillRunStatus
from waterdesk.billing.selectors.bills import bill_run_progress, reading_cycle_get
from waterdesk.billing.services.bill_run import (
    bill_run_create,
    bill_run_resume,
    bill_run_start,
    bill_run_work,
)
from waterdesk.core.errors import DomainError

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Bill a reading cycle in this process, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("cycle", help="reading cycle code, e.g. 2026-03")
        parser.add_argument("--chunk-size", type=int, default=2000, help="accounts per chunk")
        parser.add_argument("--resume", metavar="RUN_ID", help="public id of the run to resume")
        parser.add_argument(
            "--threads",
            type=int,
            default=2,
            help="threads sharing the chunks (PostgreSQL; SQLite uses one)",
        )
        parser.add_argument("--user", help="username the run is recorded for (default: system)")

    def handle(self, *args, **options):
        actor = self._actor(options["user"])
        try:
            cycle = reading_cycle_get(code=options["cycle"])
        except DomainError as error:
            raise CommandError(_("账期 %(code)s 不存在。") % {"code": options["cycle"]}) from error
        try:
            if options["resume"]:
                run = self._run_to_resume(options["resume"], cycle)
                run = bill_run_resume(run=run, enqueue=False)
            else:
                run = bill_run_create(actor=actor, cycle=cycle, chunk_size=options["chunk_size"])
                run = bill_run_start(run=run, enqueue=False)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            _("出账批次 %(run)s：账期 %(cycle)s，%(count)s 户，%(chunks)s 批。")
            % {
                "run": run.public_id,
                "cycle": cycle.code,
                "count": run.total_accounts,
                "chunks": run.chunks.count(),
            }
        )
        started = time.monotonic()
        self._draw(run, started)
        run = bill_run_work(
            run=run, on_chunk=lambda _chunk: self._draw(run, started), threads=options["threads"]
        )
        self._draw(run, started)
        self.stderr.write("")
        progress = bill_run_progress(run)
        self.stdout.write(
            _("已出账 %(billed)s 户，跳过 %(skipped)s 户，用时 %(seconds).1f 秒。")
            % {
                "billed": progress.billed,
                "skipped": progress.skipped,
                "seconds": time.monotonic() - started,
            }
        )
        if run.status != BillRunStatus.COMPLETED:
            for index, error in progress.errors:
                self.stderr.write(f"#{index}: {error}")
            raise CommandError(
                _("出账未完成（%(status)s）：可用 --resume %(run)s 继续。")
                % {"status": run.get_status_display(), "run": run.public_id}
            )

    def _actor(self, username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("用户 %(name)s 不存在。") % {"name": username})
        return user

    def _run_to_resume(self, run_id: str, cycle) -> BillRun:
        try:
            key = uuid.UUID(run_id)
        except ValueError as error:
            raise CommandError(_("出账批次编号格式不正确。")) from error
        run = BillRun.objects.filter(public_id=key, cycle=cycle).first()
        if run is None:
            raise CommandError(_("该账期没有这个出账批次。"))
        return run

    def _draw(self, run: BillRun, started: float) -> None:
        progress = bill_run_progress(run)
        filled = BAR_WIDTH * progress.percent // 100
        elapsed = max(time.monotonic() - started, 1e-9)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(
            f"\r[{bar}] {progress.percent:3d}%  {progress.processed}/{progress.total_accounts}  "
            f"{progress.processed / elapsed:,.0f}/s",
            ending="",
        )
        self.stderr.flush()
