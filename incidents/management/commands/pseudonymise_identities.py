import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from core.history import recorded
from core.policy import SYSTEM
from incidents.services import identities_pseudonymise


class Command(BaseCommand):
    help = (
        "Pseudonymises the identities of casualties of incidents older than --years years (default: "
        "IDENTITY_RETENTION_YEARS): names become a stable code, dates of birth keep only the year, "
        "contact details are erased. Safe to run every night."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--years", type=int, default=settings.IDENTITY_RETENTION_YEARS)

    def handle(self, *args, **options) -> None:
        if options["years"] < 0:
            self.stderr.write("--years must be 0 or more")
            raise SystemExit(2)
        today = datetime.date.today()
        try:
            before = today.replace(year=today.year - options["years"])
        except ValueError:  # 29 February
            before = today.replace(year=today.year - options["years"], day=28)
        with recorded(user=SYSTEM, action="pseudonymise"):
            count = identities_pseudonymise(incidents_before=before)
        self.stdout.write(f"{count} identities of casualties of incidents before {before} pseudonymised.")
