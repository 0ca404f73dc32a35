import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reference.country import country
from reference.selectors import country_extent

FIELDS = ("iso", "data_dir", "pcode", "name", "default_language", "levels", "national_authority", "extent", "demo_data")


class Command(BaseCommand):
    help = (
        "Shows the country this installation serves, as read from COUNTRY_ISO and the manifest.json of "
        "COUNTRY_DATA_DIR: levels and their names, national authority, default language, map extent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--field", choices=FIELDS, help="print one value only (for scripts)")

    def handle(self, *args, **options) -> None:
        try:
            config = country()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        extent = country_extent()
        values = {
            "iso": config.iso,
            "data_dir": str(config.data_dir),
            "pcode": config.pcode,
            "name": config.name(),
            "default_language": config.default_language,
            "levels": {str(level): dict(config.admin_levels.get(level, {})) for level in config.levels},
            "national_authority": config.national_authority,
            "extent": None if extent is None else [extent.west, extent.south, extent.east, extent.north],
            "demo_data": config.demo_data,
        }
        if options["field"]:
            value = values[options["field"]]
            self.stdout.write(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            return
        self.stdout.write(json.dumps(values, ensure_ascii=False, indent=2))
