"""`manage.py backup [--output FOLDER]`: the database and every stored file, with a manifest to check
a restore against (core.backup)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import BackupError, backup_create, default_folder


class Command(BaseCommand):
    help = (
        "Backs up the database (pg_dump, custom format) and the files of EXPORT_ROOT, IMPORT_ROOT and "
        "FIELD_ATTACHMENT_ROOT into one new folder, with manifest.json: every table's row count and "
        "checksum, every file's SHA-256. Restore it with `manage.py restore FOLDER`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="the folder to write, new or empty (default: a dated folder in var/backups beside manage.py)",
        )

    def handle(self, *args, **options) -> None:
        folder = options["output"] or default_folder()
        started = time.perf_counter()
        try:
            manifest = backup_create(folder=folder, log=self.stdout.write)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        files = sum(len(root["files"]) for root in manifest["files"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {folder.expanduser().absolute()}: {len(manifest['database']['tables'])} tables "
                f"and {files} files in {time.perf_counter() - started:.1f} s."
            )
        )
