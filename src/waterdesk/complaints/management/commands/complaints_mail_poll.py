"""Read the unseen messages of the complaint mailbox (IMAP, ``WATERDESK_COMPLAINT_IMAP_*``)
into complaints once; the periodic task ``complaints-mail-poll`` does the same."""

from django.core.management.base import BaseCommand

from waterdesk.complaints.services.mail import complaint_mail_poll


class Command(BaseCommand):
    help = "Read the complaint mailbox (IMAP) once."

    def handle(self, *args, **options):
        read = complaint_mail_poll()
        if read is None:
            self.stdout.write("no complaint mailbox configured (WATERDESK_COMPLAINT_IMAP_HOST)")
        else:
            self.stdout.write(f"{read} message(s) read")
