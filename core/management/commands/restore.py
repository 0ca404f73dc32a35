"""`manage.py restore FOLDER [--overwrite]`: a backup of `manage.py backup` brought back into the
database and the file folders of these settings, then checked against its manifest (core.backup)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restores a backup folder written by `manage.py backup` into the database of DATABASE_URL and the "
        "folders of EXPORT_ROOT, IMPORT_ROOT and FIELD_ATTACHMENT_ROOT, then compares every table's row count "
        "and checksum and every file's SHA-256 with the manifest (a non-zero exit on any difference). A "
        "database that holds records is replaced only with --overwrite."
    )
    # The database may be empty, or another version's: nothing is checked against it before the restore.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="the backup folder (holding manifest.json)")
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace a database that holds records, and files of the same names in the folders",
        )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        try:
            restored = backup_restore(folder=options["backup"], overwrite=options["overwrite"], log=self.stdout.write)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        if restored.others:
            self.stdout.write(f"{restored.others} files already in the folders are not in the backup: left in place.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored and verified: {restored.tables} tables ({restored.rows} rows) and {restored.files} files "
                f"match the manifest ({time.perf_counter() - started:.1f} s)."
            )
        )
