from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.exceptions import ApplicationError
from demo.figures import SCALES
from demo.services import Stopwatch, demo_data_delete, demo_data_generate, domain_record_counts
from reference.models import AdministrativeArea


def _seed(value: str) -> int:
    try:
        seed = int(value)
    except ValueError as exc:
        raise CommandError(f"--seed takes a whole number, not {value!r}") from exc
    if seed < 0:
        raise CommandError("--seed takes a number of 0 or more")
    return seed


class Command(BaseCommand):
    help = (
        "Generates a realistic national mine action database for Mali (hazardous areas, land release, "
        "incidents and casualties, risk education, victim assistance, community reports). The same "
        "--seed and --scale always give the same records. demo: what `make run` loads; national: ten "
        "times more; large: 1,000,000 incidents, for load tests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo", help="how much data (default: demo)")
        parser.add_argument("--seed", type=_seed, default=1, help="random seed (default: 1)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds records (what `make run` uses)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="first delete every hazard, activity, incident, casualty, session, survivor and community "
            "report (reference data and users stay)",
        )

    def _progress(self, line: str) -> None:
        self.stdout.write(line)
        # Shown as it happens, even when the output goes to a file or a pipe.
        self.stdout.flush()

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demonstration data is not allowed on this installation (DEMO_DATA_ALLOWED=False): "
                "it would mix invented records with the national database."
            )
        watch = Stopwatch()
        if not AdministrativeArea.objects.filter(
            level=AdministrativeArea.Level.ADMIN1, valid_to__isnull=True, geometry__isnull=False
        ).exists():
            self.stdout.write("No régions with boundaries yet: loading the reference data first.")
            call_command("load_reference_data", stdout=self.stdout, stderr=self.stderr)

        existing = {table: n for table, n in domain_record_counts().items() if n}
        if existing and options["if_empty"]:
            self.stdout.write("The database already holds records: no demonstration data generated.")
            return
        if existing and not options["replace"]:
            listed = ", ".join(f"{table} ({n:,})" for table, n in existing.items())
            raise CommandError(
                f"The database already holds records: {listed}. Run again with --replace to delete every "
                "record of these tables (not reference data, not users) and generate new ones."
            )
        # All or nothing: a failed generation leaves the previous records in place.
        with transaction.atomic():
            if existing:
                self.stdout.write(f"Deleting {sum(existing.values()):,} existing records.")
                demo_data_delete()
            self.stdout.write(f"Generating the {options['scale']} data set with seed {options['seed']}:")
            try:
                counts = demo_data_generate(scale=options["scale"], seed=options["seed"], log=self._progress)
            except ApplicationError as exc:
                raise CommandError(str(exc)) from exc
        width = max(len(table) for table in counts)
        self.stdout.write("Rows per table:")
        for table, n in counts.items():
            self.stdout.write(f"  {table:<{width}}  {n:>12,}")
        self.stdout.write(self.style.SUCCESS(f"{sum(counts.values()):,} rows generated in {watch.seconds():.1f} s."))
