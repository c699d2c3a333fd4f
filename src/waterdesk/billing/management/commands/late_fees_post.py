"""``python manage.py late_fees_post [--as-of YYYY-MM-DD]``: post the late fees accrued
through a day (today by default), once per bill and day; running it again posts nothing
more. Prints the accounts looked at, the bills posted, the amount and the time taken."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from waterdesk.billing.services.late_fees import late_fees_post


class Command(BaseCommand):
    help = "Post the late fees accrued through a day (default today), once per bill and day."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="the last day to charge, YYYY-MM-DD (default today)")

    def handle(self, *args, **options):
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError as error:
                raise CommandError("--as-of must be a date, YYYY-MM-DD") from error
        else:
            as_of = timezone.localdate()
        started = time.monotonic()
        result = late_fees_post(as_of=as_of)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"late fees as of {result.as_of}: accounts={result.accounts} "
            f"bills={result.bills_posted} amount={result.amount_posted} seconds={seconds:.1f}"
        )
