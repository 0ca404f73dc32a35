import datetime
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.exceptions import ApplicationError
from reference.models import AdministrativeArea
from reference.services import (
    LoadResult,
    admin_area_upsert,
    admin_areas_load_geojson,
    country_area_refresh,
    localities_load_csv,
    ordnance_types_load,
    organisations_load,
)

DATA_ROOT = Path(__file__).resolve().parents[2] / "data"


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _mapping(value: str) -> dict[str, str]:
    try:
        return dict(pair.split("=", 1) for pair in value.split(","))
    except ValueError as exc:
        raise CommandError("--map takes field=property pairs separated by commas") from exc


class Command(BaseCommand):
    help = (
        "Loads a country's reference data (boundaries, localities, organisations, ordnance catalogue) "
        "from reference/data/<ISO>/manifest.json, or one boundary file given with --boundaries. "
        "Safe to run again: unchanged rows stay, changed boundaries get a new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--country", default=settings.COUNTRY_ISO, help="ISO 3166-1 alpha-2 code")
        parser.add_argument("--data-dir", type=Path, help="folder holding manifest.json (default: the country's)")
        parser.add_argument("--boundaries", type=Path, help="a GeoJSON file of one administrative level")
        parser.add_argument("--level", type=int, default=1, help="level of --boundaries (1 région, 2 cercle...)")
        parser.add_argument(
            "--map",
            type=_mapping,
            default={"pcode": "pcode", "name_fr": "name_fr", "name_en": "name_en", "iso_code": "iso_code"},
            help="model field=file property pairs for --boundaries, e.g. pcode=ADM1_PCODE,name_fr=ADM1_FR",
        )
        parser.add_argument("--valid-from", type=_date, help="start of validity of the boundaries loaded")

    def handle(self, *args, **options) -> None:
        try:
            if options["boundaries"]:
                self._load_one_file(options)
            else:
                self._load_manifest(options)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc

    def _report(self, what: str, result: LoadResult) -> None:
        self.stdout.write(f"{what}: {result}")
        for note in result.notes:
            self.stdout.write(f"  {note}")

    @transaction.atomic
    def _load_one_file(self, options) -> None:
        country = AdministrativeArea.objects.filter(level=0, iso_code=options["country"], valid_to__isnull=True).first()
        result = admin_areas_load_geojson(
            path=options["boundaries"],
            level=options["level"],
            properties=options["map"],
            valid_from=options["valid_from"] or datetime.date.today(),
            country=country,
        )
        self._report(f"Level {options['level']} areas", result)

    @transaction.atomic
    def _load_manifest(self, options) -> None:
        folder = options["data_dir"] or DATA_ROOT / options["country"]
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {folder / 'manifest.json'}: {exc}") from exc
        country_info = manifest["country"]
        earliest = (
            min(_date(b["valid_from"]) for b in manifest.get("boundaries", []))
            if manifest.get("boundaries")
            else datetime.date.today()
        )
        country = AdministrativeArea.objects.filter(level=0, iso_code=manifest["iso"], valid_to__isnull=True).first()
        for boundary in sorted(manifest.get("boundaries", []), key=lambda b: b["level"]):
            result = admin_areas_load_geojson(
                path=folder / boundary["file"],
                level=boundary["level"],
                properties=boundary["properties"],
                valid_from=_date(boundary["valid_from"]),
                country=country,
            )
            self._report(f"Level {boundary['level']} areas from {boundary['file']}", result)
            if boundary["level"] == 1:
                country_result = LoadResult()
                country = country_area_refresh(
                    iso=manifest["iso"],
                    pcode=country_info["pcode"],
                    name_fr=country_info["name_fr"],
                    name_en=country_info.get("name_en", ""),
                    valid_from=earliest,
                    result=country_result,
                )
                self._report("Country boundary", country_result)
        extra = LoadResult()
        for area in manifest.get("areas_without_boundaries", []):
            admin_area_upsert(
                level=area["level"],
                pcode=area["pcode"],
                name_fr=area["name_fr"],
                name_en=area.get("name_en", ""),
                iso_code=area.get("iso_code", ""),
                geometry=None,
                valid_from=_date(area["valid_from"]),
                parent=country,
                result=extra,
            )
        self._report("Areas without boundaries", extra)
        if manifest.get("localities"):
            self._report("Localities", localities_load_csv(path=folder / manifest["localities"]))
        self._report("Organisations", organisations_load(rows=manifest.get("organisations", [])))
        self._report("Explosive ordnance types", ordnance_types_load(rows=manifest.get("ordnance_types", [])))
