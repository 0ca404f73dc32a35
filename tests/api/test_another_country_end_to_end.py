"""Another country from start to figures: a public-style boundary file with flaws, loaded through
`make run`'s own path (`scripts/load_data.sh`), decades-old incidents known only by their year
sent in one batch, approved in one request, and counted per year and per area."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Polygon
from django.core.management import call_command

from accounts import roles
from accounts.models import Profile
from incidents.models import Incident
from reference.country import country_reset
from reference.models import AdministrativeArea, Locality, Organisation
from tests.api.conftest import _client

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)


def _feature(properties: dict, ring: list) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _box(west, south, east, north) -> list:
    return list(Polygon.from_bbox((west, south, east, north)).exterior_ring.coords)


# Régions of a synthetic Senegal, as a public file gives them: one without a name, two features under
# one code (the second is a copy to skip), and one drawn as a bow tie (repaired, not refused).
FEATURES = [
    _feature({"ADM1_PCODE": "SN12", "ADM1_FR": "Ziguinchor"}, _box(-16.8, 12.3, -16.2, 13.1)),
    _feature({"ADM1_PCODE": "SN07", "ADM1_FR": None}, _box(-16.2, 12.3, -14.9, 13.1)),
    _feature({"ADM1_PCODE": "SN07", "ADM1_FR": "Kolda (copie)"}, _box(-16.2, 12.3, -14.9, 13.1)),
    _feature(
        {"ADM1_PCODE": "SN14", "ADM1_FR": "Tambacounda"},
        [(-14.9, 12.3), (-13.0, 13.1), (-13.0, 12.3), (-14.9, 13.1), (-14.9, 12.3)],
    ),
]
MANIFEST = {
    "iso": "SN",
    "country": {"pcode": "SN", "name_fr": "Sénégal", "name_en": "Senegal"},
    "default_language": "fr",
    "admin_levels": {"1": {"fr": "Région", "en": "Region"}, "2": {"fr": "Département", "en": "Department"}},
    "national_authority": "CNAMS",
    "boundaries": [
        {"file": "sen_adm1.geojson", "level": 1, "valid_from": "2021-01-01",
         "properties": {"pcode": "ADM1_PCODE", "name_fr": "ADM1_FR"}},
    ],
    "organisations": [
        {"acronym": "CNAMS", "kind": "national_authority", "name": "Centre national d'action antimines au Sénégal"},
        {"acronym": "ONG-CASA", "kind": "ngo", "name": "ONG de déminage de Casamance"},
    ],
}  # fmt: skip

# Accidents of an old register: the year only, and the région by a point.
ZIGUINCHOR, KOLDA = [-16.5, 12.7], [-15.5, 12.7]
REGISTER = [(1998, ZIGUINCHOR)] * 5 + [(1998, KOLDA)] * 2 + [(2003, ZIGUINCHOR)] * 3 + [(2003, KOLDA)] * 4


@pytest.fixture
def senegal(tmp_path, settings):
    folder = tmp_path / "SN"
    folder.mkdir()
    boundaries = {"type": "FeatureCollection", "features": FEATURES}
    (folder / "sen_adm1.geojson").write_text(json.dumps(boundaries), encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    # A new installation: none of Mali's places.
    Locality.objects.all().delete()
    AdministrativeArea.objects.update(parent=None)
    AdministrativeArea.objects.all().delete()
    settings.COUNTRY_ISO, settings.COUNTRY_DATA_DIR = "SN", folder
    country_reset()
    yield folder
    country_reset()
    # Later transactional tests find Mali's places again.
    settings.COUNTRY_ISO, settings.COUNTRY_DATA_DIR = "ML", ROOT / "reference" / "data" / "ML"
    country_reset()


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _make_run_load(folder: Path) -> str:
    """What `make run` runs before it serves (scripts/run.sh calls scripts/load_data.sh), on this
    test's database, configured for Senegal by the environment as `.env` would."""
    env = {**os.environ, "COUNTRY_ISO": "SN", "COUNTRY_DATA_DIR": str(folder), "DATABASE_URL": _database_url(),
           "DJANGO_SETTINGS_MODULE": "mineaction.settings.dev", "SECRET_KEY": "test-only-not-secret",
           # The report is read in English here; the installation's language is a setting.
           "LANGUAGE_CODE": "en"}  # fmt: skip
    done = subprocess.run(
        ["/bin/bash", "scripts/load_data.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _member(django_user_model, username: str, acronym: str, role: str):
    user = django_user_model.objects.create_user(username, password="pw-senegal-1")
    Profile.objects.create(user=user, organisation=Organisation.objects.get(acronym=acronym))
    user.groups.add(Group.objects.get(name=role))
    return user


def test_a_second_country_from_a_flawed_file_to_yearly_figures(senegal, django_user_model):
    # Django's post-migrate roles are gone with the emptied tables of earlier transactional tests.
    call_command("migrate", verbosity=0)

    report = _make_run_load(senegal)
    # The flaws are named feature by feature; the load goes on and loads what it can.
    lines = [line.strip() for line in report.splitlines()]
    assert (
        "Level 1 (Region) areas from sen_adm1.geojson: 3 created, 0 new boundary versions, 0 updated, "
        "0 unchanged, 2 repaired, 1 skipped"
    ) in lines, report
    assert "feature 2 [SN07]: no name (ADM1_FR): named after its code" in lines
    assert "feature 3 [SN07]: duplicate code SN07, already given by feature 2: skipped (feature 2 kept)" in lines
    assert any(line.startswith("feature 4 [SN14]: invalid geometry (Self-intersection") for line in lines)
    current = AdministrativeArea.objects.filter(valid_to__isnull=True)
    assert sorted(current.values_list("level", "pcode")) == [(0, "SN"), (1, "SN07"), (1, "SN12"), (1, "SN14")]
    assert current.get(pcode="SN14").geometry.valid
    # A second start changes nothing.
    again = _make_run_load(senegal)
    assert "3 unchanged" in again, again

    partner = _client(_member(django_user_model, "ousmane", "ONG-CASA", roles.PARTNER_DATA_MANAGER))
    officer = _client(_member(django_user_model, "aissatou", "CNAMS", roles.IM_OFFICER))

    # The register in one batch: each incident known by its year only.
    records = [
        {"external_id": f"REG-{n:03d}", "incident_class": "mine", "incident_date": str(year),
         "location": {"type": "Point", "coordinates": point}}
        for n, (year, point) in enumerate(REGISTER)
    ]  # fmt: skip
    batch = partner.post("/api/v1/incidents/batch/", {"records": records}, format="json")
    assert batch.status_code == 200, batch.json()
    assert [line["status"] for line in batch.json()["results"]] == [201] * len(REGISTER)
    stored = Incident.objects.filter(external_id__startswith="REG-")
    assert set(stored.values_list("date_precision", flat=True)) == {"year"}
    assert sorted({(i.incident_date.month, i.incident_date.day) for i in stored}) == [(1, 1)]

    # Submitted by the partner, approved by the authority, each in one request.
    ids = [line["id"] for line in batch.json()["results"]]
    submitted = partner.post(
        "/api/v1/incidents/bulk-transition/",
        {"action": "submit", "records": [{"id": pk} for pk in ids]},
        format="json",
    )
    assert [line["status"] for line in submitted.json()["results"]] == [200] * len(ids), submitted.json()
    read = {i.pk: i.version for i in Incident.objects.filter(pk__in=ids)}
    approved = officer.post(
        "/api/v1/incidents/bulk-transition/",
        {"action": "approve", "records": [{"id": pk, "version": read[pk]} for pk in ids]},
        format="json",
    )
    assert [line["status"] for line in approved.json()["results"]] == [200] * len(ids), approved.json()
    assert set(Incident.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"approved"}

    # Incidents per year and per région, from the statistics endpoint.
    figures = officer.get("/api/v1/statistics/incidents/", {"group_by": "year,admin_area"})
    assert figures.status_code == 200, figures.json()
    rows = figures.json()["results"] if isinstance(figures.json(), dict) else figures.json()
    assert sorted((r["year"], r["admin_area"], r["count"]) for r in rows) == [
        (1998, "SN07", 2), (1998, "SN12", 5), (2003, "SN07", 4), (2003, "SN12", 3),
    ]  # fmt: skip
    # By month, a year-precise incident counts in its year and in no month.
    months = officer.get("/api/v1/statistics/incidents/", {"group_by": "month"}).json()
    months = months["results"] if isinstance(months, dict) else months
    assert sorted((r["year"], r["month"], r["count"]) for r in months) == [(1998, None, 7), (2003, None, 7)]
