"""`manage.py generate_report article7|article5|monitor|ccm --year YYYY --format xlsx|docx|pdf --output FILE`:
a treaty report of the whole national database (approved records only), written whole or not at all."""

import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from reports.treaty import FORMATS, REPORT_KINDS, build_report, write_report


class Command(BaseCommand):
    help = (
        "Writes a treaty report of the national database (approved records only): the APMBC Article 7 report "
        "(article7), the annex of an Article 5 extension request (article5), the Landmine Monitor casualty table "
        "(monitor) or the CCM Article 7 report (ccm), for a calendar year, as XLSX, DOCX or PDF."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"one of: {', '.join(REPORT_KINDS)}")
        parser.add_argument("--year", required=True, help="the calendar year reported, e.g. 2024")
        parser.add_argument("--format", required=True, help=f"one of: {', '.join(FORMATS)}")
        parser.add_argument("--output", required=True, help="the file to write (replaced if it exists)")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            help=f"language of the labels: {', '.join(code for code, _name in settings.LANGUAGES)} "
            f"(default: {settings.LANGUAGE_CODE})",
        )

    def handle(self, *args, **options) -> None:
        kind, format, language = options["kind"], options["format"].lower(), options["language"]
        if kind not in REPORT_KINDS:
            raise CommandError(f"Unknown report {kind!r}: choose one of {', '.join(REPORT_KINDS)}.")
        if format not in FORMATS:
            raise CommandError(f"Unknown format {options['format']!r}: choose one of {', '.join(FORMATS)}.")
        languages = [code for code, _name in settings.LANGUAGES]
        if language not in languages:
            raise CommandError(f"Unknown language {language!r}: choose one of {', '.join(languages)}.")
        try:
            year = int(options["year"])
        except ValueError:
            raise CommandError(f"--year must be a year such as 2024, not {options['year']!r}.") from None
        output = Path(options["output"]).expanduser().absolute()
        if output.is_dir():
            raise CommandError(f"{output} is a folder: give the name of the file to write.")
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.")

        started = time.perf_counter()
        with translation.override(language):
            try:
                report = build_report(kind, year=year)
            except ApplicationError as exc:
                raise CommandError(_describe(exc)) from None
            _write_whole(report, format, output)
            self.stdout.write(
                _("Wrote “%(report)s” for %(year)s (%(format)s, %(size)s KB, %(records)s records counted) to %(path)s "
                  "in %(seconds).1f s.")
                % {"report": REPORT_KINDS[kind], "year": year, "format": format.upper(),
                   "size": max(1, round(output.stat().st_size / 1024)), "records": report.counted_rows,
                   "path": output, "seconds": time.perf_counter() - started}
            )  # fmt: skip


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _describe(exc: ApplicationError) -> str:
    details = [message for messages in exc.errors.values() for message in messages]
    return " ".join([exc.message, *details])


def _write_whole(report, format: str, output: Path) -> None:
    """Written under a temporary name beside the file, then renamed: a failure leaves nothing at
    `output` (and an older file there untouched)."""
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
    os.close(handle)
    try:
        write_report(report, format=format, path=temporary)
        # mkstemp makes the file private; the report gets the usual permissions of a new file.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, output)
    except ApplicationError as exc:
        raise CommandError(_describe(exc)) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    folder = os.open(output.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
