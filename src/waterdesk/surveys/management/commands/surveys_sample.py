"""``python manage.py surveys_sample --size N [--seed S]``: send a periodic satisfaction
survey now to N customers drawn at random (active, with a mobile, not surveyed in the last
90 days)."""

import random

from django.core.management.base import BaseCommand, CommandError

from waterdesk.core.errors import DomainError
from waterdesk.surveys.services import survey_campaign_run


class Command(BaseCommand):
    help = "Send a satisfaction survey to a random sample of customers."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, required=True, help="how many customers")
        parser.add_argument("--seed", type=int, help="seed of the random draw (reproducible)")

    def handle(self, *args, **options):
        rng = random.Random(options["seed"]) if options["seed"] is not None else None
        try:
            campaign = survey_campaign_run(actor=None, size=options["size"], rng=rng)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(f"sent={campaign.sent_count}")
