import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.exceptions import ApplicationError
from reference.boundaries import LevelSpec
from reference.country import CountryConfig, manifest_read
from reference.models import AdministrativeArea
from reference.services import (
    BoundaryLoadResult,
    LoadResult,
    admin_area_upsert,
    admin_areas_load_file,
    country_area_refresh,
    level_label,
    localities_load_csv,
    ordnance_types_load,
    organisations_load,
)

DATA_ROOT = Path(__file__).resolve().parents[2] / "data"
# Without --map: these properties where the file has them.
DEFAULT_MAPPING = {"pcode": "pcode", "name_fr": "name_fr", "name_en": "name_en", "iso_code": "iso_code"}


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _mapping(value: str) -> dict[str, str]:
    try:
        pairs = [pair.split("=", 1) for pair in value.split(",") if pair.strip()]
        return {key.strip(): prop.strip() for key, prop in pairs}
    except ValueError as exc:
        raise CommandError("--map takes field=property pairs separated by commas") from exc


class _DryRun(Exception):
    """Unwinds the transaction of a dry run after its report was printed."""


def _names(row: dict) -> dict[str, str]:
    """`name_<language>` keys of a manifest row, by language code."""
    return {key[5:]: value for key, value in row.items() if key.startswith("name_") and value}


class Command(BaseCommand):
    help = (
        "Loads the country's reference data (boundaries, localities, organisations, ordnance catalogue) "
        "from the manifest.json of COUNTRY_DATA_DIR, or boundaries from one file given with --boundaries "
        "(any format GDAL reads). Safe to run again: unchanged rows stay, changed boundaries get a new "
        "version. Flawed features are repaired or skipped, and reported one by one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--country", default=settings.COUNTRY_ISO, help="ISO 3166-1 alpha-2 code (default: COUNTRY_ISO)"
        )
        parser.add_argument("--data-dir", type=Path, help="folder holding manifest.json (default: COUNTRY_DATA_DIR)")
        parser.add_argument(
            "--boundaries", type=Path, help="a boundary file: GeoJSON, GeoPackage, Shapefile or any GDAL format"
        )
        parser.add_argument("--layer", help="layer of --boundaries to read (default: the first)")
        parser.add_argument(
            "--level",
            type=int,
            action="append",
            help="administrative level of --boundaries (1, 2, 3...); repeat with --map for several levels "
            "of one file: every level but the most detailed is dissolved on its code",
        )
        parser.add_argument(
            "--map",
            type=_mapping,
            action="append",
            help="model field=file property pairs for --boundaries: pcode=, name_<language>=, and optionally "
            "iso_code= and parent= (the parent's P-code), e.g. pcode=ADM2_PCODE,name_fr=ADM2_FR,parent=ADM1_PCODE",
        )
        parser.add_argument(
            "--dissolve",
            action="store_true",
            help="merge features sharing a code into one area (e.g. --level 1 from an ADM2 file)",
        )
        parser.add_argument("--valid-from", type=_date, help="start of validity of the boundaries loaded")
        parser.add_argument("--dry-run", action="store_true", help="show the report and write nothing")

    def handle(self, *args, **options) -> None:
        options["country"] = options["country"].strip().upper()
        try:
            with transaction.atomic():
                if options["boundaries"]:
                    self._load_one_file(options)
                else:
                    self._load_manifest(options)
                if options["dry_run"]:
                    raise _DryRun
        except _DryRun:
            self.stdout.write("Dry run: nothing was written.")
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc

    def _report(self, what: str, result: LoadResult) -> None:
        self.stdout.write(f"{what}: {result}")
        for note in result.notes:
            self.stdout.write(f"  {note}")
        for flaw in getattr(result, "flaws", []):
            self.stdout.write(f"  {flaw}")

    def _boundaries(
        self, path: Path, levels: list[LevelSpec], *, config: CountryConfig | None = None, **kwargs
    ) -> list[BoundaryLoadResult]:
        notes, results = admin_areas_load_file(path=path, levels=levels, **kwargs)
        for note in notes:
            self.stdout.write(note)
        for result in results:
            self._report(f"{level_label(result.level, config)} areas from {path.name}", result)
        conflicts = [conflict for result in results for conflict in result.conflicts]
        if conflicts:
            # A valid-from date that cannot follow the current versions is the command's
            # mistake, not the file's: nothing is written until it is given right.
            raise CommandError(" ".join(dict.fromkeys(conflicts)) + " Nothing was written.")
        return results

    def _load_one_file(self, options) -> None:
        levels = options["level"] or [1]
        mappings = options["map"] or [DEFAULT_MAPPING]
        if len(mappings) != len(levels):
            raise CommandError("Give one --map for each --level, in the same order.")
        if len(set(levels)) != len(levels):
            raise CommandError("Each --level may be given once.")
        country = AdministrativeArea.objects.filter(level=0, iso_code=options["country"], valid_to__isnull=True).first()
        specs = [
            LevelSpec(level, mapping, options["dissolve"]) for level, mapping in zip(levels, mappings, strict=True)
        ]
        valid_from = options["valid_from"] or datetime.date.today()
        self._boundaries(
            options["boundaries"],
            specs,
            valid_from=valid_from,
            iso=options["country"],
            country=country,
            layer=options["layer"],
            strict=bool(options["map"]),
        )
        if country is not None and 1 in levels:
            # The country's boundary follows its first-level areas.
            result = LoadResult()
            country_area_refresh(
                iso=country.iso_code, pcode=country.pcode, name_fr=country.name_fr, name_en=country.name_en,
                valid_from=valid_from, result=result,
            )  # fmt: skip
            self._report("Country boundary", result)

    def _config(self, options) -> CountryConfig:
        iso = options["country"]
        if options["data_dir"]:
            folder = options["data_dir"]
        elif iso == settings.COUNTRY_ISO:
            folder = settings.COUNTRY_DATA_DIR
        else:
            folder = DATA_ROOT / iso
        try:
            config = manifest_read(folder)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if config.iso != iso:
            raise CommandError(f"{folder / 'manifest.json'} describes {config.iso}, not {iso}.")
        return config

    def _load_manifest(self, options) -> None:
        config = self._config(options)
        folder, manifest = config.data_dir, config.manifest
        if options["verbosity"] > 0:
            self.stdout.write(f"Country {config.iso} from {folder}")
        boundaries = manifest.get("boundaries", [])
        earliest = min((_date(b["valid_from"]) for b in boundaries), default=datetime.date.today())
        country = AdministrativeArea.objects.filter(level=0, iso_code=config.iso, valid_to__isnull=True).first()
        country_names = _names(dict(manifest.get("country", {})))
        for boundary in sorted(boundaries, key=lambda b: b["level"]):
            spec = LevelSpec(boundary["level"], boundary["properties"], bool(boundary.get("dissolve")))
            self._boundaries(
                folder / boundary["file"],
                [spec],
                valid_from=_date(boundary["valid_from"]),
                iso=config.iso,
                country=country,
                layer=boundary.get("layer"),
                config=config,
            )
            if boundary["level"] == 1:
                country_result = LoadResult()
                country = country_area_refresh(
                    iso=config.iso,
                    pcode=config.pcode,
                    name_fr=country_names.get("fr", ""),
                    name_en=country_names.get("en", ""),
                    names={k: v for k, v in country_names.items() if k not in ("fr", "en")},
                    valid_from=earliest,
                    result=country_result,
                )
                self._report("Country boundary", country_result)
        extra = LoadResult()
        for area in manifest.get("areas_without_boundaries", []):
            names = _names(area)
            admin_area_upsert(
                level=area["level"],
                pcode=area["pcode"],
                name_fr=names.pop("fr", ""),
                name_en=names.pop("en", ""),
                names=names,
                iso_code=area.get("iso_code", ""),
                geometry=None,
                valid_from=_date(area["valid_from"]),
                parent=country,
                result=extra,
            )
        self._report("Areas without boundaries", extra)
        if manifest.get("localities"):
            self._report("Localities", localities_load_csv(path=folder / manifest["localities"]))
        self._report("Organisations", organisations_load(rows=list(manifest.get("organisations", []))))
        self._report("Explosive ordnance types", ordnance_types_load(rows=list(manifest.get("ordnance_types", []))))
