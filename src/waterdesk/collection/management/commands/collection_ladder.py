"""``python manage.py collection_ladder [--today YYYY-MM-DD]``: run the dunning ladder now
(open, climb, settle, resume), whatever runs were done today."""

from django.core.management.base import BaseCommand

from waterdesk.collection.management.commands.collection_classify import _day
from waterdesk.collection.services.ladder import collection_ladder_run
from waterdesk.core.timeutil import local, now


class Command(BaseCommand):
    help = "Run the dunning ladder (the nightly job, run now)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day of the run, YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        today = _day(options["today"]) if options["today"] else local(now()).date()
        counts = collection_ladder_run(today=today)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
