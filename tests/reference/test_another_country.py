"""README, "Set up another country", run as written: the blocks are read from the README, the
downloaded boundary file is a synthetic stand-in (rectangles, P-codes in the COD pattern), and
the database starts without Mali's places, as a new installation does."""

import json
import re
import shlex
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point, Polygon
from django.core.management import call_command

from core.validation import Problems, check_location
from reference.country import country, level_name
from reference.models import AdministrativeArea, Locality, OrdnanceType, area_name
from reference.selectors import admin_area_for_geometry, country_area, country_extent, national_authority

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"


def _block(marker: str) -> str:
    """The fenced block that follows `<!-- country-example:<marker> -->` in the README."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- country-example:{marker} -->\s*```\w*\n(.*?)\n\s*```", text, re.DOTALL)
    assert match, f"README has no country-example:{marker} block"
    return "\n".join(line.strip() for line in match.group(1).splitlines())


def _box(west: float, south: float, east: float, north: float) -> Polygon:
    return Polygon.from_bbox((west, south, east, north))


# Synthetic départements in the Casamance, side by side: (ADM2 code, name, ADM1 code, ADM1 name, box).
DEPARTEMENTS = [
    ("SN1201", "Bignona", "SN12", "Ziguinchor", _box(-16.8, 12.6, -16.2, 13.1)),
    ("SN1202", "Oussouye", "SN12", "Ziguinchor", _box(-16.8, 12.3, -16.5, 12.6)),
    ("SN1203", "Ziguinchor", "SN12", "Ziguinchor", _box(-16.5, 12.3, -16.2, 12.6)),
    ("SN0701", "Kolda", "SN07", "Kolda", _box(-16.2, 12.3, -14.9, 13.1)),
]


@pytest.fixture
def country_folder(tmp_path, settings):
    """Step 1 of the README: the download, then its ogr2ogr line run in the folder."""
    folder = tmp_path / "SN"
    folder.mkdir()
    features = [
        {
            "type": "Feature",
            "properties": {"ADM2_PCODE": c2, "ADM2_FR": n2, "ADM1_PCODE": c1, "ADM1_FR": n1},
            "geometry": json.loads(box.geojson),
        }
        for c2, n2, c1, n1, box in DEPARTEMENTS
    ]
    download = tmp_path / "download.geojson"
    download.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    shapefile = folder / "sen_adm2_downloaded.shp"
    # GDAL's ogr2ogr, installed by setup.sh.
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", shapefile, download], check=True, capture_output=True)  # noqa: S603, S607
    commands = [shlex.split(line) for line in _block("files").splitlines() if line.startswith("ogr2ogr ")]
    assert len(commands) == 1
    subprocess.run(commands[0], cwd=folder, check=True, capture_output=True)  # noqa: S603 - the README's own line
    # Step 2: the manifest as the README gives it.
    (folder / "manifest.json").write_text(_block("manifest"), encoding="utf-8")
    # Step 3: the .env lines, with the folder where the test made it.
    env = dict(line.split("=", 1) for line in _block("env").splitlines())
    assert env["COUNTRY_DATA_DIR"] == "/srv/mineaction/SN"
    settings.COUNTRY_ISO = env["COUNTRY_ISO"]
    settings.COUNTRY_DATA_DIR = folder
    settings.BORDER_TOLERANCE_M = float(env["BORDER_TOLERANCE_M"])
    # A new installation: no places of Mali.
    Locality.objects.all().delete()
    AdministrativeArea.objects.update(parent=None)
    AdministrativeArea.objects.all().delete()
    return folder


def _run_readme_commands() -> list[str]:
    """Step 4: each `python manage.py ...` line, through call_command on the test database."""
    outputs = []
    for line in _block("commands").splitlines():
        program, manage, command, *args = shlex.split(line)
        assert (program, manage) == ("python", "manage.py")
        out = StringIO()
        call_command(command, *args, stdout=out)
        outputs.append(out.getvalue())
    return outputs


def test_the_readme_sets_up_another_country_without_code(country_folder):
    shown, dry_run, load = _run_readme_commands()

    # show_country reads the manifest; nothing is loaded yet, so there is no extent.
    assert json.loads(shown) == {
        "iso": "SN",
        "data_dir": str(country_folder),
        "pcode": "SN",
        "name": "Senegal",
        "default_language": "fr",
        "levels": {
            "1": {"fr": "Région", "en": "Region"},
            "2": {"fr": "Département", "en": "Department"},
            "3": {"fr": "Arrondissement", "en": "District"},
        },
        "national_authority": "CNAMS",
        "extent": None,
        "demo_data": False,
    }
    # The dry run reports what the load then does, and wrote nothing in between.
    report = [
        f"Country SN from {country_folder}",
        "Level 1 (Region) areas from sen_adm2.gpkg: 2 created, 0 new boundary versions, 0 updated, 0 unchanged, "
        "0 repaired, 0 skipped",
        "Country boundary: 1 created, 0 new boundary versions, 0 updated, 0 unchanged",
        "Level 2 (Department) areas from sen_adm2.gpkg: 4 created, 0 new boundary versions, 0 updated, 0 unchanged, "
        "0 repaired, 0 skipped",
        "Areas without boundaries: 0 created, 0 new boundary versions, 0 updated, 0 unchanged",
        "Organisations: 1 created, 0 new boundary versions, 0 updated, 0 unchanged",
        "Explosive ordnance types: 0 created, 0 new boundary versions, 1 updated, 0 unchanged",
    ]
    assert dry_run.splitlines() == [*report, "Dry run: nothing was written."]
    assert load.splitlines() == report

    current = AdministrativeArea.objects.filter(valid_to__isnull=True)
    assert sorted(current.values_list("level", "pcode", "name_fr", "parent__pcode")) == [
        (0, "SN", "Sénégal", None),
        (1, "SN07", "Kolda", "SN"),
        (1, "SN12", "Ziguinchor", "SN"),
        (2, "SN0701", "Kolda", "SN07"),
        (2, "SN1201", "Bignona", "SN12"),
        (2, "SN1202", "Oussouye", "SN12"),
        (2, "SN1203", "Ziguinchor", "SN12"),
    ]
    # The région dissolved from its three départements, and the country from its régions.
    assert current.get(pcode="SN12").geometry.equals(_box(-16.8, 12.3, -16.2, 13.1))
    assert country_area().geometry.equals(_box(-16.8, 12.3, -14.9, 13.1))
    assert national_authority().acronym == "CNAMS"
    assert (level_name(2, "fr"), level_name(2, "en"), level_name(3)) == ("Département", "Department", "District")
    assert dict(AdministrativeArea._meta.get_field("level").choices)[2] == "Department"
    # The map opens on the country's boundary: the manifest gives no extent.
    extent = country_extent()
    assert (extent.west, extent.south, extent.east, extent.north) == pytest.approx((-16.8, 12.3, -14.9, 13.1))
    # PMN-2 was in the catalogue already (Mali's): its French name comes from this manifest.
    assert OrdnanceType.objects.get(model="PMN-2").names == {"fr": "Mine antipersonnel PMN-2"}
    # make run loads at every start: the second time, dissolved levels included, nothing changes.
    out = StringIO()
    call_command("load_reference_data", stdout=out)
    assert all(" 0 created, 0 new boundary versions, 0 updated," in line for line in out.getvalue().splitlines()[1:])


def test_places_and_borders_follow_the_new_country(country_folder):
    _run_readme_commands()

    assert admin_area_for_geometry(Point(-16.3, 12.4, srid=4326)).pcode == "SN1203"
    # 0.002 degree (about 220 m) south of the border: within the README's 500 m tolerance.
    just_out = Point(-16.3, 12.298, srid=4326)
    problems = Problems()
    check_location(just_out, "location", problems, kind="Point")
    assert not problems
    assert admin_area_for_geometry(just_out).pcode == "SN1203"
    problems = Problems()
    check_location(Point(-16.3, 12.28, srid=4326), "location", problems, kind="Point")
    assert problems.errors == {"location": ["The location lies 2.2 km outside the country (tolerance 500 m)."]}
    # Names fall back to the country's default language (French here) before the P-code.
    kolda = AdministrativeArea.objects.get(pcode="SN07", valid_to__isnull=True)
    assert (area_name(kolda, "ar"), area_name(kolda, "en"), str(kolda)) == ("Kolda", "Kolda", "Kolda (SN07)")
    assert country().name("fr") == "Sénégal"
