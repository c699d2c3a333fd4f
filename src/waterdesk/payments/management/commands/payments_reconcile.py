"""``manage.py payments_reconcile <gateway> <file> [--date YYYY-MM-DD]``: import a gateway's
daily statement and list what does not match."""

from django.core.management.base import BaseCommand, CommandError

from waterdesk.core.errors import DomainError
from waterdesk.payments.gateways import REGISTRY
from waterdesk.payments.tasks import payments_reconcile


class Command(BaseCommand):
    help = "Import a payment gateway's daily statement (CSV) and reconcile it."

    def add_arguments(self, parser):
        parser.add_argument("gateway", choices=sorted(REGISTRY))
        parser.add_argument("path")
        parser.add_argument("--date", default=None, help="statement date (default: from lines)")

    def handle(self, *args, gateway, path, date, **options):
        try:
            result = payments_reconcile(gateway, path, date)
        except (DomainError, OSError, ValueError) as error:
            raise CommandError(str(getattr(error, "message", error))) from error
        state = "imported" if result["created"] else "already imported, nothing changed"
        self.stdout.write(
            f"{state}: lines={result['lines']} matched={result['matched']} "
            f"missing_here={result['missing_here']} missing_there={result['missing_there']} "
            f"amount_differs={result['amount_differs']}"
        )
