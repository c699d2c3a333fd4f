"""``python manage.py collection_classify [--as-of YYYY-MM-DD]``: classify the accounts in
arrears now (as of today in Asia/Shanghai unless ``--as-of``), whatever runs were done."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from waterdesk.collection.classify import collection_classify
from waterdesk.core.timeutil import local, now


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"a day must be written YYYY-MM-DD, not {value!r}") from error


class Command(BaseCommand):
    help = "Classify the accounts in arrears by amount and age (the nightly job, run now)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="the day classified, YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        as_of = _day(options["as_of"]) if options["as_of"] else local(now()).date()
        run = collection_classify(as_of=as_of)
        self.stdout.write(
            f"as_of={run.as_of.isoformat()} accounts={run.accounts_classified} "
            f"seconds={run.seconds}"
        )
