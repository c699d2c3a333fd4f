"""``python manage.py import_reads FILE --source handheld --user USERNAME``

Imports a handheld / AMR read file exactly like the import page (same service, same
checks) and prints the counts and every bad line. Exits with status 1 when the file
cannot be read at all; bad lines are reported, not fatal.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from waterdesk.billing.models import ReadSource
from waterdesk.billing.services.reading import IMPORT_SOURCES, read_import_csv
from waterdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "导入抄表机或远传抄表文件（CSV），打印导入结果和错误行。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file")
        parser.add_argument(
            "--source",
            default=ReadSource.HANDHELD,
            choices=sorted(IMPORT_SOURCES),
            help="handheld (default) or amr",
        )
        parser.add_argument("--user", required=True, help="username of the importing user")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(_("无法读取文件：%(error)s") % {"error": error}) from error
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("用户不存在：%(user)s") % {"user": options["user"]})
        try:
            batch = read_import_csv(
                actor=user, source=options["source"], file_name=path.name, content=content
            )
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from error

        self.stdout.write(
            _("数据行 %(total)d，导入 %(imported)d，重复 %(duplicate)d，错误 %(failed)d")
            % {
                "total": batch.lines_total,
                "imported": batch.lines_imported,
                "duplicate": batch.lines_duplicate,
                "failed": batch.lines_failed,
            }
        )
        for error in batch.errors:
            self.stdout.write(
                _("第%(line)d行 [%(code)s] %(message)s")
                % {"line": error["line"], "code": error["code"], "message": error["message"]}
            )
