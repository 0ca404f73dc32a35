from django.core.management.base import BaseCommand, CommandError, CommandParser

from field.kobo import KoboPullError, kobo_source_pull
from field.models import KoboSource


class Command(BaseCommand):
    help = (
        "Pulls the submissions of KoboToolbox sources now (every enabled one, or the one named): new rows become "
        "records submitted for approval; rows received before are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", help="the name of one source (enabled or not)")

    def handle(self, *args, source: str | None = None, **options) -> None:
        if source is not None:
            sources = list(KoboSource.objects.select_related("user").filter(name=source))
            if not sources:
                raise CommandError(f"No KoboToolbox source is named {source!r}.")
        else:
            sources = list(KoboSource.objects.select_related("user").filter(enabled=True))
        failed = []
        for entry in sources:
            try:
                result = kobo_source_pull(source=entry)
            except KoboPullError as exc:
                self.stderr.write(f"{entry.name}: {exc}")
                failed.append(entry.name)
                continue
            self.stdout.write(
                f"{entry.name}: {result.pages} page(s), {result.created} submitted, {result.rejected} kept with "
                f"errors, {result.duplicates} already received, {result.skipped} skipped"
            )
            for error in result.errors:
                self.stderr.write(f"{entry.name}: {error}")
        if failed:
            raise CommandError(f"Not pulled: {', '.join(failed)}")
