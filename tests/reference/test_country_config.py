"""A country is configuration: COUNTRY_ISO and the manifest of COUNTRY_DATA_DIR, read once by
`reference.country`, checked at start-up, and used wherever the code named Mali's levels."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import translation

from core.admin import _map_centre
from reference.checks import country_configuration_check
from reference.country import Extent, admin_level_choices, country, country_reset, level_name, manifest_read
from reference.models import AdministrativeArea, OrdnanceType, area_name, ordnance_name
from reference.selectors import country_extent, national_authority
from tests.api.conftest import _client

ROOT = Path(settings.BASE_DIR)


def _folder(tmp_path: Path, manifest: dict) -> Path:
    folder = tmp_path / manifest.get("iso", "XX")
    folder.mkdir(exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


ANGOLA = {
    "iso": "AO",
    "country": {"pcode": "AO", "name_pt": "Angola"},
    "default_language": "pt",
    "admin_levels": {"1": {"pt": "Província", "en": "Province"}, "2": {"pt": "Município", "en": "Municipality"}},
}


@pytest.fixture
def angola(tmp_path, settings):
    """A configuration whose place names are in Portuguese."""
    settings.COUNTRY_ISO = "AO"
    settings.COUNTRY_DATA_DIR = _folder(tmp_path, ANGOLA)
    return country()


def test_mali_is_the_default_configuration():
    config = country()

    assert (config.iso, config.pcode, config.data_dir) == ("ML", "ML", ROOT / "reference" / "data" / "ML")
    assert (config.default_language, config.levels, config.national_authority) == ("fr", (1, 2, 3), "CNLPAL")
    assert config.extent == Extent(-12.27, 10.14, 4.24, 25.0)
    assert config.demo_data is True
    assert (level_name(1, "fr"), level_name(1, "en"), level_name(2, "fr"), level_name(3, "en")) == (
        "Région", "Region", "Cercle", "Commune",
    )  # fmt: skip
    # Read once: the same object until the settings or the cache change.
    assert country() is config


@pytest.mark.django_db
def test_the_national_authority_and_the_map_come_from_the_manifest():
    authority = national_authority()
    assert (authority.acronym, authority.kind) == ("CNLPAL", "national_authority")
    # Mali's manifest gives its extent: the map opens on its centre at a zoom that shows it all.
    assert _map_centre() == {
        "default_lon": pytest.approx(-4.015),
        "default_lat": pytest.approx(17.57),
        "default_zoom": 5,
    }


@pytest.mark.django_db
def test_level_names_follow_the_readers_language():
    mopti = AdministrativeArea.objects.get(pcode="ML05", valid_to__isnull=True)
    with translation.override("fr"):
        choices = dict(AdministrativeArea._meta.get_field("level").choices)
        assert (choices[1], choices[2], choices[3]) == ("Région", "Cercle", "Commune")
        assert mopti.get_level_display() == "Région"
    assert mopti.get_level_display() == "Region"
    assert admin_level_choices() == [(0, "Country"), (1, "Region"), (2, "Cercle"), (3, "Commune")]


def test_names_fall_back_from_the_language_asked_to_the_countrys_then_french_english_any_and_the_p_code(angola):
    area = AdministrativeArea(
        pcode="AO01", name_fr="Bengo (fr)", name_en="Bengo (en)", names={"pt": "Bengo", "es": "Bengo (es)"}
    )
    assert [area_name(area, language) for language in ("es", "pt-BR", "ar", "en", "fr")] == [
        "Bengo (es)", "Bengo", "Bengo", "Bengo (en)", "Bengo (fr)",
    ]  # fmt: skip
    area.names = {"es": "Bengo (es)"}
    assert area_name(area, "ar") == "Bengo (fr)"
    area.name_fr = ""
    assert area_name(area, "ar") == "Bengo (en)"
    area.name_en = ""
    assert area_name(area, "ar") == "Bengo (es)"
    area.names = {}
    assert (area_name(area, "ar"), str(area)) == ("AO01", "AO01 (AO01)")
    # Level names fall back the same way; a level the manifest does not name gets its number.
    assert (level_name(2, "es"), level_name(1, "en"), level_name(4, "pt")) == (
        "Município", "Province", "Administrative level 4",
    )  # fmt: skip
    assert admin_level_choices() == [(0, "Country"), (1, "Province"), (2, "Municipality")]
    assert (angola.name("ar"), angola.national_authority, angola.extent, angola.demo_data) == (
        "Angola", None, None, False,
    )  # fmt: skip


@pytest.mark.django_db
def test_ordnance_names_fall_back_to_the_model_designation():
    improvised = OrdnanceType.objects.get(model="Improvised pressure-plate AP mine")
    pmn = OrdnanceType.objects.get(model="PMN-2")

    assert ordnance_name(improvised, "fr") == "Mine antipersonnel improvisée à plaque de pression"
    # The catalogue is written in English: an English reader gets the designation.
    assert ordnance_name(improvised, "en") == "Improvised pressure-plate AP mine"
    # Spanish: none, so Mali's default language, French.
    assert ordnance_name(improvised, "es") == "Mine antipersonnel improvisée à plaque de pression"
    assert (pmn.names, ordnance_name(pmn, "fr")) == ({}, "PMN-2")


@pytest.mark.django_db
def test_the_api_gives_names_in_every_language(officer):
    area = AdministrativeArea.objects.get(pcode="ML05", valid_to__isnull=True)
    area.names = {"ar": "موبتي"}
    area.save(update_fields=["names"])

    client = _client(officer)
    [mopti] = client.get("/api/v1/admin-areas/", {"pcode": "ML05"}).json()["results"]
    ordnance = client.get("/api/v1/ordnance-types/", {"category": "improvised_ap_mine"}).json()["results"]

    assert (mopti["name_fr"], mopti["name_en"], mopti["names"]) == ("Mopti", "Mopti", {"ar": "موبتي"})
    assert [(row["model"], row["names"]) for row in ordnance] == [
        ("Improvised pressure-plate AP mine", {"fr": "Mine antipersonnel improvisée à plaque de pression"})
    ]


def test_names_in_other_languages_are_checked(angola):
    area = AdministrativeArea(level=1, pcode="AO01", valid_from="2020-01-01", names={"fr": "Bengo"})
    with pytest.raises(Exception, match="The fr name has its own field"):
        area.clean()
    area.names = {"Portuguese": "Bengo"}
    with pytest.raises(Exception, match="is not a language code"):
        area.clean()
    area.names = {"pt": "Bengo"}
    area.clean()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"iso": "Angola"}, r'"iso" must be the ISO 3166-1 alpha-2 code'),
        ({"admin_levels": {"one": {"pt": "Província"}}}, r'"admin_levels" keys are levels 1, 2, 3'),
        ({"admin_levels": {"1": {"pt": ""}}}, r'"admin_levels.1" must map language codes to non-empty names'),
        ({"extent": [14, -18, 11, -4]}, r'"extent" must be \[west, south, east, north\] with west < east'),
        ({"national_authority": "CNIDAH"}, r'"national_authority" \'CNIDAH\' is not among the "organisations"'),
        ({"default_language": "portuguese"}, r'"default_language" must be a language code'),
    ],
)
def test_a_wrong_manifest_is_refused_naming_the_key(tmp_path, change, message):
    manifest = {**ANGOLA, "organisations": [{"acronym": "X", "kind": "ngo", "name": "X"}], **change}
    folder = _folder(tmp_path, manifest)

    with pytest.raises(ImproperlyConfigured, match=message) as exc:
        manifest_read(folder)

    assert str(folder / "manifest.json") in str(exc.value)


def test_a_manifest_of_another_country_stops_start_up_but_never_a_page(tmp_path, settings):
    settings.COUNTRY_ISO = "SN"
    settings.COUNTRY_DATA_DIR = _folder(tmp_path, ANGOLA)

    with pytest.raises(ImproperlyConfigured, match=r"COUNTRY_ISO is SN but .*manifest\.json describes AO"):
        country()
    [error] = country_configuration_check(None)
    assert error.id == "reference.E001"
    assert "describes AO" in error.msg
    # Names and choices still show, with generic labels.
    assert str(AdministrativeArea(pcode="SN01", name_fr="Dakar")) == "Dakar (SN01)"
    assert admin_level_choices()[1] == (1, "Administrative level 1")


def test_an_edited_manifest_is_read_again_after_a_reset(angola):
    path = angola.data_dir / "manifest.json"
    path.write_text(json.dumps({**ANGOLA, "default_language": "en"}), encoding="utf-8")
    assert country().default_language == "pt"

    country_reset()

    assert country().default_language == "en"


def _settings_in_a_new_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - this project's manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "mineaction.settings.test", **env},
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BORDER_TOLERANCE_M": "-5"}, "BORDER_TOLERANCE_M must lie between 0 and 100000 metres"),
        ({"BORDER_TOLERANCE_M": "500m"}, "BORDER_TOLERANCE_M must be a number of metres, e.g. 500"),
        ({"COUNTRY_ISO": "MLI"}, "COUNTRY_ISO must be an ISO 3166-1 alpha-2 code such as ML, not 'MLI'"),
        ({"COUNTRY_DATA_DIR": "/nowhere/XX"}, "reference.E001"),
        ({"COUNTRY_ISO": "SN"}, "reference/data/SN/manifest.json: cannot be read"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it(env, message):
    result = _settings_in_a_new_process(env, "check")

    assert result.returncode != 0
    assert message in result.stderr


def test_settings_read_the_country_folder_and_tolerance():
    code = (
        "from django.conf import settings; "
        "print(settings.COUNTRY_ISO, settings.COUNTRY_DATA_DIR, settings.BORDER_TOLERANCE_M)"
    )
    result = _settings_in_a_new_process(
        {"COUNTRY_ISO": "ml", "COUNTRY_DATA_DIR": "reference/data/ML", "BORDER_TOLERANCE_M": "250"}, "shell", "-c", code
    )

    # The last line: Django's shell first says what it imported.
    assert result.stdout.splitlines()[-1].split() == ["ML", str(ROOT / "reference" / "data" / "ML"), "250.0"], (
        result.stderr
    )


@pytest.mark.django_db
def test_show_country_prints_one_field_for_scripts():
    out = StringIO()
    call_command("show_country", "--field", "national_authority", stdout=out)
    assert out.getvalue() == "CNLPAL\n"
    out = StringIO()
    call_command("show_country", "--field", "demo_data", stdout=out)
    assert out.getvalue() == "true\n"
    assert country_extent() == Extent(-12.27, 10.14, 4.24, 25.0)
