"""`manage.py import_records --type incidents FILE [--mapping NAME] [--organisation ACRONYM] [--commit]`:
a dry run by default, printing each rejected row by its number in the file; `--commit` imports it
(all or nothing). The same services as the page and the API."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from core.policy import SYSTEM
from field import services
from field.models import IMPORT_TYPES, ImportMapping, ImportRow, RecordImport
from reference.models import Organisation


class Command(BaseCommand):
    help = "Checks a file of records (a dry run), or imports it with --commit."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--type", required=True, choices=[slug for slug, _label in IMPORT_TYPES])
        parser.add_argument("--mapping", help="Name of a saved mapping of columns and values.")
        parser.add_argument("--organisation", help="Acronym of the reporting organisation.")
        parser.add_argument("--user", help="Username acting (default: the system, with the authority's rights).")
        parser.add_argument("--commit", action="store_true", help="Import the rows the check accepts.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = SYSTEM
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        organisation = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(acronym=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation {options['organisation']!r}.")
        mapping = None
        if options["mapping"]:
            mapping = ImportMapping.objects.filter(name=options["mapping"]).first()
            if mapping is None:
                raise CommandError(f"No mapping {options['mapping']!r}.")

        def chunks():
            with open(path, "rb") as source:
                while chunk := source.read(1 << 20):
                    yield chunk

        try:
            record_import = services.import_start(
                user=user, organisation=organisation, record_type=options["type"], name=path.name, chunks=chunks(),
                mapping=mapping, inline=True,
            )  # fmt: skip
            self._report(record_import)
            if options["commit"] and record_import.status == RecordImport.Status.CHECKED:
                if record_import.to_create + record_import.to_update == 0:
                    self.stdout.write("Nothing to write: every record is unchanged or rejected.")
                    return
                record_import = services.import_confirm(record_import=record_import, user=user, inline=True)
                self._done(record_import)
        except (ApplicationError, PermissionDenied) as error:
            details = getattr(error, "errors", None) or {}
            raise CommandError(f"{error} {details}".strip()) from error
        if record_import.status == RecordImport.Status.FAILED:
            raise CommandError(record_import.error)

    def _report(self, record_import: RecordImport) -> None:
        if record_import.status == RecordImport.Status.FAILED:
            return
        self.stdout.write(
            f"{record_import.file_name}: {record_import.rows} records; {record_import.to_create} to create, "
            f"{record_import.to_update} to update, {record_import.unchanged} unchanged, "
            f"{record_import.rejected} rejected (import #{record_import.pk})."
        )
        for row in record_import.lines.filter(action=ImportRow.Action.REJECT).order_by("number"):
            problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in row.errors.items())
            self.stdout.write(f"  row {row.number}: {problems}")

    def _done(self, record_import: RecordImport) -> None:
        if record_import.status == RecordImport.Status.IMPORTED:
            written = record_import.to_create + record_import.to_update
            self.stdout.write(self.style.SUCCESS(f"Imported: {written} records written, as submitted."))
