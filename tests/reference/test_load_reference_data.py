import datetime
import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from reference.models import AdministrativeArea, Locality, OrdnanceType, Organisation
from reference.selectors import admin_area_for_geometry, geometry_inside_country
from tests.geo import GAO, MOPTI, PARIS, point, square

pytestmark = pytest.mark.django_db


def test_mali_is_loaded_with_its_regions_country_and_catalogues():
    current = AdministrativeArea.objects.filter(valid_to__isnull=True)
    regions = current.filter(level=1)
    assert regions.count() == 11
    assert set(regions.filter(geometry__isnull=True).values_list("name_fr", flat=True)) == {"Ménaka", "Taoudénit"}
    assert regions.get(pcode="ML05").name_fr == "Mopti"
    assert regions.get(pcode="ML05").iso_code == "ML-5"
    country = current.get(level=0)
    assert (country.pcode, country.iso_code) == ("ML", "ML")
    assert not regions.exclude(parent=country).exists()
    assert Locality.objects.count() == 94
    assert Organisation.objects.get(acronym="CNLPAL").kind == "national_authority"
    assert OrdnanceType.objects.get(model="Improvised pressure-plate AV mine").category == "improvised_av_mine"


def test_a_second_run_changes_nothing():
    out = StringIO()
    call_command("load_reference_data", stdout=out)
    header, *lines = out.getvalue().splitlines()
    # The folder comes from the setting COUNTRY_DATA_DIR: the shipped Mali folder by default.
    assert header == f"Country ML from {settings.BASE_DIR / 'reference' / 'data' / 'ML'}"
    assert len(lines) == 6
    assert all(" 0 created, 0 new boundary versions, 0 updated," in line for line in lines), lines


def test_spatial_lookups():
    assert admin_area_for_geometry(point(MOPTI)).pcode == "ML05"
    assert admin_area_for_geometry(point(GAO)).pcode == "ML07"
    assert admin_area_for_geometry(point(PARIS)) is None
    assert geometry_inside_country(square(MOPTI)) is True
    assert geometry_inside_country(square(PARIS)) is False


def _feature(pcode: str, name: str, polygon) -> dict:
    return {
        "type": "Feature",
        "properties": {"ADM2_PCODE": pcode, "ADM2_FR": name},
        "geometry": json.loads(polygon.geojson),
    }


def test_any_boundary_file_loads_with_a_property_mapping_and_changes_are_versioned(tmp_path):
    path = tmp_path / "cercles.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [_feature("ML0501", "Mopti", square(MOPTI, 0.3))]})
    )
    args = ["--boundaries", str(path), "--level", "2", "--map", "pcode=ADM2_PCODE,name_fr=ADM2_FR"]

    call_command("load_reference_data", *args, "--valid-from", "2020-01-01", stdout=StringIO())
    cercle = AdministrativeArea.objects.get(pcode="ML0501")
    # The parent is found spatially: no file says which région a cercle belongs to.
    assert (cercle.level, cercle.parent.pcode, cercle.valid_to) == (2, "ML05", None)
    assert admin_area_for_geometry(point((MOPTI[0] + 0.1, MOPTI[1] + 0.1))) == cercle

    # A new boundary: the old version is closed, the new one is current.
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [_feature("ML0501", "Mopti", square(MOPTI, 0.4))]})
    )
    call_command("load_reference_data", *args, "--valid-from", "2023-06-01", stdout=StringIO())
    versions = AdministrativeArea.objects.filter(pcode="ML0501").order_by("valid_from")
    assert [(v.valid_from, v.valid_to) for v in versions] == [
        (datetime.date(2020, 1, 1), datetime.date(2023, 6, 1)),
        (datetime.date(2023, 6, 1), None),
    ]

    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [_feature("ML0501", "Mopti", square(MOPTI, 0.2))]})
    )
    with pytest.raises(CommandError, match="give a valid-from date after 2023-06-01"):
        call_command("load_reference_data", *args, "--valid-from", "2023-01-01", stdout=StringIO())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "bad.geojson cannot be read as a vector file"),
        # Not a Feature (no "type"): GDAL sees no properties, so the mapping cannot apply.
        (
            '{"type": "FeatureCollection", "features": [{"properties": {"ADM2_FR": "X"}, "geometry": null}]}',
            "bad.geojson has no property ADM2_PCODE, ADM2_FR",
        ),
    ],
)
def test_a_bad_boundary_file_is_refused_clearly(tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command(
            "load_reference_data",
            "--boundaries",
            str(path),
            "--map",
            "pcode=ADM2_PCODE,name_fr=ADM2_FR",
            stdout=StringIO(),
        )


def test_another_country_folder_needs_no_code(tmp_path):
    folder = tmp_path / "XX"
    folder.mkdir()
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "iso": "XX",
                "country": {"pcode": "XX", "name_fr": "Pays X"},
                "organisations": [{"acronym": "XMAC", "kind": "national_authority", "name": "Centre X"}],
            }
        )
    )
    call_command("load_reference_data", "--country", "XX", "--data-dir", str(folder), stdout=StringIO())
    assert Organisation.objects.get(acronym="XMAC").name == "Centre X"
