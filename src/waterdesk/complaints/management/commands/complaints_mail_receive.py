"""Read one complaint e-mail (RFC 822) from stdin into a complaint: the command of a
Postfix pipe alias, e.g. in /etc/aliases

    complaints: "|/srv/waterdesk/.venv/bin/python /srv/waterdesk/manage.py complaints_mail_receive"

Exit 0 when read (or read before: the same Message-ID is the same case); 65 (EX_DATAERR,
Postfix bounces the message) when it has no address to reply to."""

import sys

from django.core.management.base import BaseCommand, CommandError

from waterdesk.complaints.services.mail import complaint_mail_receive
from waterdesk.core.errors import InvalidInput

EX_DATAERR = 65


class Command(BaseCommand):
    help = "Read one complaint e-mail (RFC 822) from stdin into a complaint."

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("no message on stdin", returncode=EX_DATAERR)
        try:
            received = complaint_mail_receive(raw=raw)
        except InvalidInput as refused:
            raise CommandError(
                f"{refused.code}: {refused.message}", returncode=EX_DATAERR
            ) from None
        state = "registered" if received.created else "already read"
        self.stdout.write(f"{received.case.number} {state}")
        for name in received.skipped:
            self.stdout.write(f"attachment not kept: {name}")
