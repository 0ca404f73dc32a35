"""The boundary loader forgives what it can and says what it did, feature by feature, for any
file GDAL reads: a GeoJSON file and the same features written by ogr2ogr as a GeoPackage (and a
projected Shapefile)."""

import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core.management import call_command
from django.core.management.base import CommandError

from reference.models import AdministrativeArea
from tests.geo import MOPTI, bowtie, square

pytestmark = pytest.mark.django_db

X, Y = MOPTI
OK_1 = square((X, Y), 0.05)
OK_2 = square((X + 0.1, Y), 0.05)
DUPLICATE = square((X + 0.2, Y), 0.05)
SELF_INTERSECTING = bowtie((X + 0.3, Y), 0.05)
NO_CODE = square((X + 0.4, Y), 0.05)

ARGS = ["--level", "2", "--map", "pcode=ADM2_PCODE,name_fr=ADM2_FR,parent=ADM1_PCODE", "--valid-from", "2024-01-01"]


def _feature(code, name, geometry, parent="ML05") -> dict:
    return {
        "type": "Feature",
        "properties": {"ADM2_PCODE": code, "ADM2_FR": name, "ADM1_PCODE": parent},
        "geometry": None if geometry is None else json.loads(geometry.geojson),
    }


def _write(folder: Path, features: list[dict], fmt: str, *, name: str = "cercles", srs: str | None = None) -> Path:
    """Writes the features as GeoJSON, then converts them with GDAL's ogr2ogr when another
    format is asked for."""
    source = folder / f"{name}.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    if fmt == "geojson":
        return source
    target = folder / f"{name}.{ {'gpkg': 'gpkg', 'shp': 'shp'}[fmt] }"
    driver = {"gpkg": "GPKG", "shp": "ESRI Shapefile"}[fmt]
    command = ["ogr2ogr", "-f", driver, str(target), str(source), "-nln", name]
    if srs:
        command += ["-t_srs", srs]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - GDAL's ogr2ogr, installed by setup.sh
    return target


FLAWED = [
    _feature("ML0501", "Mopti", OK_1),
    _feature("ML0502", None, OK_2),
    _feature("ML0501", "Mopti bis", DUPLICATE),
    _feature("ML0503", "Djenné", SELF_INTERSECTING),
    _feature(None, "Bandiagara", NO_CODE, parent="ML99"),
    _feature("ML0504", "Douentza", None),
]


def _load(path: Path, *extra: str) -> list[str]:
    out = StringIO()
    call_command("load_reference_data", "--boundaries", str(path), *ARGS, *extra, stdout=out)
    return out.getvalue().splitlines()


def _flaw_lines(path: Path) -> list[str]:
    return [
        f"Level 2 (Cercle) areas from {path.name}: 4 created, 0 new boundary versions, 0 updated, 0 unchanged, "
        "3 repaired, 2 skipped",
        "  feature 2 [ML0502]: no name (ADM2_FR): named after its code",
        "  feature 3 [ML0501]: duplicate code ML0501, already given by feature 1: skipped (feature 1 kept)",
        "  feature 4 [ML0503]: invalid geometry (Self-intersection[-3.865 14.515]): repaired",
        "  feature 5 [no code]: parent ML99 (ADM1_PCODE) is not a current area of level 1: parent found spatially",
        "  feature 5 [no code]: no code (ADM2_PCODE): loaded as ML05-GEN-5",
        "  feature 6 [ML0504]: no geometry: skipped",
    ]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_every_flaw_is_reported_by_feature_and_the_load_goes_on(tmp_path, fmt):
    path = _write(tmp_path, FLAWED, fmt)

    lines = _load(path)

    assert lines == _flaw_lines(path)
    current = AdministrativeArea.objects.filter(valid_to__isnull=True, level=2)
    assert sorted(current.values_list("pcode", "name_fr", "parent__pcode")) == [
        ("ML05-GEN-5", "Bandiagara", "ML05"),
        ("ML0501", "Mopti", "ML05"),
        ("ML0502", "ML0502", "ML05"),
        ("ML0503", "Djenné", "ML05"),
    ]
    # The duplicate is skipped, not taken for a changed boundary: one version, the first feature's.
    mopti = AdministrativeArea.objects.get(pcode="ML0501")
    assert mopti.geometry.equals_exact(MultiPolygon(OK_1, srid=4326), tolerance=1e-9)
    # The bow-tie is made valid: its two triangles, a quarter of the square each.
    djenne = AdministrativeArea.objects.get(pcode="ML0503").geometry
    assert djenne.valid
    assert len(djenne) == 2
    assert djenne.area == pytest.approx(SELF_INTERSECTING.envelope.area / 2)
    assert not AdministrativeArea.objects.filter(pcode="ML0504").exists()


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_a_second_run_reports_the_same_flaws_and_changes_nothing(tmp_path, fmt):
    path = _write(tmp_path, FLAWED, fmt)
    _load(path)

    lines = _load(path)

    assert lines[0] == (
        f"Level 2 (Cercle) areas from {path.name}: 0 created, 0 new boundary versions, 0 updated, 4 unchanged, "
        "3 repaired, 2 skipped"
    )
    assert lines[1:] == _flaw_lines(path)[1:]
    assert AdministrativeArea.objects.filter(pcode__startswith="ML050").count() == 3


def test_a_dry_run_shows_the_report_and_writes_nothing(tmp_path):
    path = _write(tmp_path, FLAWED, "gpkg")
    before = AdministrativeArea.objects.count()

    lines = _load(path, "--dry-run")

    assert lines == [*_flaw_lines(path), "Dry run: nothing was written."]
    assert AdministrativeArea.objects.count() == before


def test_a_missing_name_keeps_the_name_an_area_already_has(tmp_path):
    _load(_write(tmp_path, [_feature("ML0502", "Ténenkou", OK_2)], "geojson"))

    lines = _load(_write(tmp_path, [_feature("ML0502", "", OK_2)], "geojson"))

    assert lines[1:] == ["  feature 1 [ML0502]: no name (ADM2_FR): kept its current name 'Ténenkou'"]
    assert AdministrativeArea.objects.get(pcode="ML0502").name_fr == "Ténenkou"


def test_a_changed_boundary_with_a_date_too_early_writes_nothing(tmp_path):
    _load(_write(tmp_path, [_feature("ML0501", "Mopti", OK_1), _feature("ML0502", "Ténenkou", OK_2)], "geojson"))
    changed = [_feature("ML0501", "Mopti", OK_1.buffer(0.01)), _feature("ML0502", "Ténenkou (new)", OK_2)]
    out = StringIO()

    with pytest.raises(
        CommandError,
        match=r"The boundary of ML0501 changed: give a valid-from date after 2024-01-01\. Nothing was written\.",
    ):
        call_command(
            "load_reference_data", "--boundaries", str(_write(tmp_path, changed, "geojson")), *ARGS, stdout=out
        )

    assert (
        "  feature 1 [ML0501]: The boundary of ML0501 changed: give a valid-from date after 2024-01-01.: skipped"
        in (out.getvalue().splitlines())
    )
    # The other feature's change was rolled back with the whole load.
    assert AdministrativeArea.objects.get(pcode="ML0502").name_fr == "Ténenkou"


def _cod_adm2(tmp_path: Path, fmt: str) -> Path:
    """An ADM2 file as OCHA publishes CODs: each feature carries its ADM1 code and name.
    Two ADM1 areas, ZZ01 of two ADM2 squares side by side and ZZ02 of one; the second
    feature spells its ADM1 name differently."""
    x, y = 30.0, -20.0
    rows = [
        ("ZZ0101", "Alpha Nord", "ZZ01", "Alpha", square((x, y), 1)),
        ("ZZ0102", "Alpha Sud", "ZZ01", "Alfa", square((x + 1, y), 1)),
        ("ZZ0201", "Beta", "ZZ02", "Beta", square((x, y + 1), 1)),
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"ADM2_PCODE": c2, "ADM2_FR": n2, "ADM1_PCODE": c1, "ADM1_FR": n1},
            "geometry": json.loads(g.geojson),
        }
        for c2, n2, c1, n1, g in rows
    ]
    return _write(tmp_path, features, fmt, name="zz_adm2")


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_two_levels_from_one_file_dissolve_the_upper_one_on_its_code(tmp_path, fmt):
    path = _cod_adm2(tmp_path, fmt)
    out = StringIO()

    call_command(
        "load_reference_data", "--country", "ZZ", "--boundaries", str(path),
        "--level", "2", "--map", "pcode=ADM2_PCODE,name_fr=ADM2_FR,parent=ADM1_PCODE",
        "--level", "1", "--map", "pcode=ADM1_PCODE,name_fr=ADM1_FR",
        "--valid-from", "2020-01-01", stdout=out,
    )  # fmt: skip

    assert out.getvalue().splitlines() == [
        f"Level 1 (Region) areas from {path.name}: 2 created, 0 new boundary versions, 0 updated, 0 unchanged, "
        "1 repaired, 0 skipped",
        "  feature 2 [ZZ01]: name 'Alfa' differs from feature 1's: kept 'Alpha'",
        f"Level 2 (Cercle) areas from {path.name}: 3 created, 0 new boundary versions, 0 updated, 0 unchanged, "
        "0 repaired, 0 skipped",
    ]
    alpha = AdministrativeArea.objects.get(pcode="ZZ01")
    # Dissolved: one polygon, the two squares side by side.
    assert (alpha.level, alpha.name_fr, len(alpha.geometry)) == (1, "Alpha", 1)
    assert alpha.geometry.equals(GEOSGeometry("MULTIPOLYGON(((30 -20, 32 -20, 32 -19, 30 -19, 30 -20)))", srid=4326))
    parents = dict(
        AdministrativeArea.objects.filter(level=2, pcode__startswith="ZZ").values_list("pcode", "parent__pcode")
    )
    assert parents == {"ZZ0101": "ZZ01", "ZZ0102": "ZZ01", "ZZ0201": "ZZ02"}


def test_one_upper_level_from_a_detailed_file_with_dissolve(tmp_path):
    path = _cod_adm2(tmp_path, "geojson")

    call_command(
        "load_reference_data", "--country", "ZZ", "--boundaries", str(path), "--dissolve",
        "--level", "1", "--map", "pcode=ADM1_PCODE,name_fr=ADM1_FR", stdout=StringIO(),
    )  # fmt: skip

    assert sorted(AdministrativeArea.objects.filter(pcode__startswith="ZZ").values_list("pcode", "level")) == [
        ("ZZ01", 1),
        ("ZZ02", 1),
    ]


def test_a_projected_shapefile_is_reprojected_to_wgs84(tmp_path):
    # UTM zone 30N (EPSG:32630) covers Mopti; ogr2ogr writes the .prj GDAL reads back.
    path = _write(tmp_path, [_feature("ML0501", "Mopti", OK_1)], "shp", srs="EPSG:32630")

    _load(path)

    loaded = AdministrativeArea.objects.get(pcode="ML0501").geometry
    assert loaded.srid == 4326
    # A Shapefile turns rings clockwise: the same square, to about a square centimetre.
    assert loaded.num_coords == 5
    assert loaded.sym_difference(OK_1).area < 1e-14


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            "pcode=ADM2_PCODE,name_fr=ADM2_FRR",
            r"cercles.geojson has no property ADM2_FRR; its properties: ADM2_PCODE, ADM2_FR, ADM1_PCODE\.",
        ),
        ("pcode=ADM2_PCODE,nom=ADM2_FR", r"Unknown keys in the property mapping: nom"),
        ("pcode=ADM2_PCODE", r"needs pcode and at least one name_<language>"),
    ],
)
def test_a_mapping_that_does_not_fit_the_file_is_refused_before_anything_is_read(tmp_path, mapping, message):
    path = _write(tmp_path, FLAWED, "geojson")

    with pytest.raises(CommandError, match=message):
        call_command(
            "load_reference_data", "--boundaries", str(path), "--level", "2", "--map", mapping, stdout=StringIO()
        )

    assert not AdministrativeArea.objects.filter(pcode__startswith="ML050").exists()


def test_names_in_other_languages_go_to_names(tmp_path):
    feature = _feature("ML0501", "Mopti", OK_1)
    feature["properties"] |= {"ADM2_EN": "Mopti", "ADM2_AR": "موبتي"}
    path = _write(tmp_path, [feature], "gpkg")

    call_command(
        "load_reference_data", "--boundaries", str(path), "--level", "2",
        "--map", "pcode=ADM2_PCODE,name_fr=ADM2_FR,name_en=ADM2_EN,name_ar=ADM2_AR", stdout=StringIO(),
    )  # fmt: skip

    area = AdministrativeArea.objects.get(pcode="ML0501")
    assert (area.name_fr, area.name_en, area.names) == ("Mopti", "Mopti", {"ar": "موبتي"})
    assert area.name_in("ar") == "موبتي"


def test_without_a_mapping_the_files_own_names_are_read_and_the_rest_noted(tmp_path):
    feature = {
        "type": "Feature",
        "properties": {"pcode": "ML0501", "name_fr": "Mopti"},
        "geometry": json.loads(OK_1.geojson),
    }
    path = tmp_path / "plain.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    out = StringIO()

    call_command("load_reference_data", "--boundaries", str(path), "--level", "2", stdout=out)

    assert out.getvalue().splitlines() == [
        "Properties not in the file, ignored: name_en, iso_code.",
        "Level 2 (Cercle) areas from plain.geojson: 1 created, 0 new boundary versions, 0 updated, 0 unchanged, "
        "0 repaired, 0 skipped",
    ]
    assert AdministrativeArea.objects.get(pcode="ML0501").parent.pcode == "ML05"


def test_without_a_mapping_a_file_without_codes_is_refused_naming_its_properties(tmp_path):
    path = _write(tmp_path, FLAWED, "geojson")

    with pytest.raises(
        CommandError,
        match=r"cercles.geojson has no property pcode, name_fr, name_en, iso_code; "
        r"its properties: ADM2_PCODE, ADM2_FR, ADM1_PCODE\. Give them with --map\.",
    ):
        call_command("load_reference_data", "--boundaries", str(path), "--level", "2", stdout=StringIO())
