"""``python manage.py quality_load_edition``: load a new edition of the drinking-water
standard beside the ones already loaded.

    quality_load_edition --code gb5749-2030 --name "GB 5749-2030 生活饮用水卫生标准" \\
        --effective-from 2031-04-01 --file gb5749-2030-indicators.csv [--user qmanager]

The file has the columns of ``quality/data/gb5749-2022-indicators.csv``; every row is
checked before anything is written. Samples taken from the effective date on are judged by
the new edition, earlier ones by the edition in force on their sampling day. With
``--user`` the load is done as that user (who must hold ``quality.manage_catalogue``)."""

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from waterdesk.core.errors import DomainError
from waterdesk.quality.services.catalogue import edition_load, edition_load_operator


class Command(BaseCommand):
    help = "Load a new edition of the drinking-water standard from its indicator CSV."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="edition code, e.g. gb5749-2030")
        parser.add_argument("--name", required=True, help="the standard's name")
        parser.add_argument(
            "--effective-from", required=True, help="the date it comes into force, YYYY-MM-DD"
        )
        parser.add_argument("--file", required=True, help="the indicator table (CSV)")
        parser.add_argument("--note", default="", help="a note kept with the edition")
        parser.add_argument("--user", help="load as this user (checked for the permission)")

    def handle(self, *args, **options):
        try:
            effective_from = date.fromisoformat(options["effective_from"])
        except ValueError as error:
            raise CommandError("--effective-from must be a date, YYYY-MM-DD") from error
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        values = {
            "code": options["code"],
            "name": options["name"],
            "effective_from": effective_from,
            "data": path.read_bytes(),
            "note": options["note"] or path.name,
        }
        try:
            if options["user"]:
                user = get_user_model().objects.filter(username=options["user"]).first()
                if user is None:
                    raise CommandError(f"no such user: {options['user']}")
                edition = edition_load(actor=user, **values)
            else:
                edition = edition_load_operator(loaded_by=None, **values)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            f"{edition.code}: {edition.indicators.count()} indicators, "
            f"in force from {edition.effective_from:%Y-%m-%d}"
        )
