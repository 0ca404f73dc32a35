"""Exports of filtered lists, written by a real Celery worker on Redis and reopened as files."""

import csv
import io
import json
import time

import pytest
from django.core.management import call_command
from django.db.models import Q
from rest_framework.test import APIClient

from core.models import RecordStatus
from incidents.models import Incident
from reports.models import Export
from reports.tasks import export_run
from tests.api.helpers import GAO_POINT, MOPTI_POINT, incident_payload

pytestmark = pytest.mark.django_db(transaction=True)

COLUMNS = [
    "id", "status", "organisation", "reference", "incident_class", "incident_date", "date_precision",
    "device_category", "device_category_reported", "activation", "how_activated", "activity_at_time", "admin_area",
]  # fmt: skip


def _client(user) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def country(transactional_db, settings, tmp_path):
    """Transactional tests may start from an emptied database: the country, loaded again first."""
    call_command("load_reference_data", verbosity=0)
    settings.EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def people(country, django_user_model):
    from accounts import roles
    from reference.models import Organisation
    from tests.people import member

    alice = member(django_user_model, "alice", Organisation.objects.get(acronym="HI"), roles.PARTNER_DATA_MANAGER)
    bob = member(django_user_model, "bob", Organisation.objects.get(acronym="HI"), roles.PARTNER_DATA_MANAGER)
    charlie = member(django_user_model, "charlie", Organisation.objects.get(acronym="DRC"), roles.PARTNER_DATA_MANAGER)
    return {"alice": _client(alice), "bob": _client(bob), "charlie": _client(charlie)}


def _region(incident_id: int) -> str:
    area = Incident.objects.select_related("admin_area").get(pk=incident_id).admin_area
    # The région: the area just below the country.
    while area.parent_id and area.parent.parent_id:
        area = area.parent
    return area.pcode


@pytest.fixture
def incidents(people):
    """In Gao: alice's draft, charlie's draft, charlie's approved incident; in Mopti: alice's draft."""
    alice, charlie = people["alice"], people["charlie"]

    def report(client, **fields):
        response = client.post("/api/v1/incidents/", incident_payload(**fields), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    own_gao = report(alice, external_id="A-GAO")
    other_draft = report(charlie, external_id="C-DRAFT")
    other_approved = report(charlie, external_id="C-OK")
    Incident.objects.filter(pk=other_approved).update(status=RecordStatus.APPROVED)
    own_mopti = report(alice, location=MOPTI_POINT, external_id="A-MOPTI")
    assert _region(own_gao) != _region(own_mopti)
    return {"own_gao": own_gao, "other_draft": other_draft, "other_approved": other_approved,
            "own_mopti": own_mopti, "gao": _region(own_gao)}  # fmt: skip


def _wait(client, url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"export still {body['status']} after {timeout}s")


def _export(client, format: str, filters: dict, resource: str = "incidents") -> tuple[dict, bytes]:
    response = client.post("/api/v1/exports/", {"resource": resource, "format": format, "filters": filters},
                           format="json")  # fmt: skip
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert set(accepted) == {"id", "status", "url"}
    assert accepted["status"] == "queued"
    body = _wait(client, accepted["url"])
    assert body["status"] == "done", body
    assert body["download"].endswith(f"/api/v1/exports/{accepted['id']}/download/")
    download = client.get(body["download"])
    assert download.status_code == 200
    return body, b"".join(download.streaming_content), download


@pytest.mark.celery_worker
def test_a_filtered_list_exports_to_every_format_with_exactly_its_rows(celery_worker, people, incidents):
    from django.contrib.gis.gdal import DataSource
    from openpyxl import load_workbook

    alice = people["alice"]
    expected = sorted([incidents["own_gao"], incidents["other_approved"]])
    filters = {"admin_area": incidents["gao"]}
    # The list itself shows these rows: the export holds the same.
    listed = alice.get("/api/v1/incidents/", filters).json()
    assert sorted(r["id"] for r in listed["results"]) == expected

    body, content, response = _export(alice, "csv", filters)
    assert (body["rows"], body["progress"], body["error"]) == (2, 100, "")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="incidents-{body["id"]}.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    assert rows[0] == COLUMNS
    assert [int(r[0]) for r in rows[1:]] == expected
    by_id = {int(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id[incidents["own_gao"]]["status"] == "draft"
    assert by_id[incidents["own_gao"]]["organisation"] == "HI"
    assert by_id[incidents["other_approved"]]["organisation"] == "DRC"
    # Foreign keys as readable codes: the area's P-code, within the région filtered on.
    gao_area = Incident.objects.select_related("admin_area").get(pk=incidents["own_gao"]).admin_area.pcode
    assert by_id[incidents["own_gao"]]["admin_area"] == gao_area

    body, content, _response = _export(alice, "xlsx", filters)
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0] == COLUMNS
    assert [row[0] for row in table[1:]] == expected

    body, content, response = _export(alice, "geojson", filters)
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(content)
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["id"] for f in collection["features"]] == expected
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": GAO_POINT["coordinates"]}
    assert "reference" in collection["features"][0]["properties"]

    body, content, _response = _export(alice, "gpkg", filters)
    assert body["rows"] == 2
    from reports.services import export_root

    source = DataSource(str(export_root() / f"incidents-{body['id']}.gpkg"))
    layer = source[0]
    assert layer.name == "incidents"
    assert sorted(feature.get("id") for feature in layer) == expected
    assert [feature.geom.coords for feature in layer] == [tuple(GAO_POINT["coordinates"])] * 2


@pytest.mark.celery_worker
def test_text_cells_that_look_like_formulas_are_neutralised(celery_worker, people, country):
    from openpyxl import load_workbook

    alice = people["alice"]
    from tests.api.helpers import hazard_payload

    created = alice.post("/api/v1/hazard-areas/", hazard_payload(name='=HYPERLINK("http://x")'), format="json")
    assert created.status_code == 201, created.content

    _body, content, _response = _export(alice, "csv", {}, resource="hazard-areas")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert [row["name"] for row in rows] == ['\'=HYPERLINK("http://x")']

    _body, content, _response = _export(alice, "xlsx", {}, resource="hazard-areas")
    sheet = load_workbook(io.BytesIO(content)).active
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("name") + 1)
    assert (cell.value, cell.data_type) == ('\'=HYPERLINK("http://x")', "s")


def test_only_the_owner_sees_and_downloads_the_export(people, incidents):
    from reports.services import export_write

    alice, bob = people["alice"], people["bob"]
    accepted = alice.post("/api/v1/exports/", {"resource": "incidents", "format": "csv"}, format="json").json()
    export_write(export_id=accepted["id"])
    assert alice.get(f"/api/v1/exports/{accepted['id']}/download/").status_code == 200
    # Bob works for the same organisation and still does not reach alice's file.
    assert bob.get(f"/api/v1/exports/{accepted['id']}/").status_code == 404
    assert bob.get(f"/api/v1/exports/{accepted['id']}/download/").status_code == 404
    assert APIClient().get(f"/api/v1/exports/{accepted['id']}/").status_code == 401


def test_an_expired_export_answers_410_and_its_file_is_deleted(people, incidents):
    import datetime

    from django.utils import timezone

    from reports.services import export_root, export_write, exports_expire

    alice = people["alice"]
    accepted = alice.post("/api/v1/exports/", {"resource": "incidents", "format": "csv"}, format="json").json()
    export_write(export_id=accepted["id"])
    export = Export.objects.get(pk=accepted["id"])
    assert (export_root() / export.file_path).is_file()
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    gone = alice.get(f"/api/v1/exports/{export.pk}/download/")
    assert gone.status_code == 410
    assert gone.json() == {"detail": "The file has expired: ask for the export again."}
    assert exports_expire() == 1
    assert not (export_root() / export.file_path).exists()
    assert alice.get(f"/api/v1/exports/{export.pk}/").json()["download"] is None


def test_invalid_filters_unknown_resource_and_format_are_field_errors(people, incidents):
    alice = people["alice"]

    def post(body):
        return alice.post("/api/v1/exports/", body, format="json")

    wrong = post({"resource": "incidents", "format": "csv", "filters": {"date_after": "yesterday", "colour": "red"}})
    assert wrong.status_code == 400
    assert set(wrong.json()["filters"]) == {"date_after", "colour"}
    assert wrong.json()["filters"]["date_after"] == ["Enter a valid date."]
    assert post({"resource": "casualty-identities", "format": "csv"}).json() == {
        "resource": ["No such list to export."]
    }
    assert set(post({"resource": "incidents", "format": "pdf"}).json()) == {"format"}
    assert post({"resource": "casualties", "format": "gpkg"}).json() == {
        "format": ["These records have no geometry: choose csv or xlsx."]
    }
    assert post({"resource": "incidents", "format": "csv", "filters": {"status": {"x": 1}}}).status_code == 400
    assert post({"resource": "incidents", "format": "csv", "filters": ["admin_area"]}).status_code == 400
    assert Export.objects.count() == 0


def test_a_failed_export_says_why_and_publishes_nothing(people, incidents, settings, tmp_path):
    from reports.services import export_write

    alice = people["alice"]
    accepted = alice.post("/api/v1/exports/", {"resource": "incidents", "format": "csv"}, format="json").json()
    # The export folder cannot be made: a file stands in its place.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.EXPORT_ROOT = blocker / "exports"
    export_write(export_id=accepted["id"])
    body = alice.get(accepted["url"]).json()
    assert body["status"] == "failed"
    assert body["error"] == "The file could not be written on the server (Not a directory)."
    assert body["download"] is None
    assert "Traceback" not in body["error"]
    assert alice.get(f"/api/v1/exports/{accepted['id']}/download/").status_code == 404


def test_running_again_a_done_export_changes_nothing_and_a_redelivered_one_writes_one_file(people, incidents):
    from reports.services import export_root

    alice = people["alice"]
    accepted = alice.post("/api/v1/exports/", {"resource": "incidents", "format": "geojson"}, format="json").json()
    export_id = accepted["id"]
    # A worker died while writing: its half-written temporary file stays behind, status running.
    export_root().mkdir(parents=True)
    partial = export_root() / f".incidents-{export_id}.geojson.dead0.partial"
    partial.write_text('{"type":"FeatureCollection","features":[{"type":')
    Export.objects.filter(pk=export_id).update(status=Export.Status.RUNNING, progress=40, rows=2)

    export_run.apply(args=[export_id])
    done = Export.objects.get(pk=export_id)
    assert (done.status, done.rows, done.progress) == ("done", 3, 100)
    assert sorted(p.name for p in export_root().iterdir()) == [f"incidents-{export_id}.geojson"]
    features = json.loads((export_root() / done.file_path).read_text())["features"]
    assert sorted(f["id"] for f in features) == sorted(
        [incidents["own_gao"], incidents["other_approved"], incidents["own_mopti"]]
    )

    stamp = (export_root() / done.file_path).stat().st_mtime_ns
    export_run.apply(args=[export_id])
    again = Export.objects.get(pk=export_id)
    assert (again.status, again.rows, again.finished_at) == ("done", done.rows, done.finished_at)
    assert (export_root() / done.file_path).stat().st_mtime_ns == stamp


def test_expired_exports_are_deleted_every_hour_on_a_worker(celery_worker):
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    from reports.tasks import exports_expire

    # Transactional tests empty the tables the migration filled: run its step again (idempotent).
    importlib.import_module("reports.migrations.0002_expiry_schedule").schedule(apps, None)
    task = PeriodicTask.objects.get(name="Delete expired exports")
    assert (task.task, task.interval.every, task.interval.period) == ("reports.exports_expire", 1, "hours")
    assert exports_expire.delay().get(timeout=20) == 0


def test_survivors_and_their_services_export_without_needs_or_identities(celery_worker, people):
    from assistance.models import AssistanceService, Survivor
    from demo.services import demo_data_delete

    call_command("generate_demo_data", "--scale", "demo", "--seed", "5", verbosity=0)
    try:
        Survivor.objects.update(needs="Prothèse — appeler Fatou K. au 76 00 00 00")
        alice = people["alice"]
        _body, content, _download = _export(alice, "csv", {}, resource="survivors")
        rows = list(csv.reader(io.StringIO(content.decode())))
        assert rows[0] == ["id", "status", "organisation", "casualty", "has_disability"]
        assert "Fatou" not in content.decode()
        visible = Survivor.objects.filter(Q(status=RecordStatus.APPROVED) | Q(organisation__acronym="HI"))
        assert sorted(int(row[0]) for row in rows[1:]) == sorted(visible.values_list("id", flat=True))
        _body, content, _download = _export(alice, "csv", {}, resource="assistance-services")
        header, *services = list(csv.reader(io.StringIO(content.decode())))
        assert header[3] == "survivor"
        by_id = dict(AssistanceService.objects.values_list("id", "survivor_id"))
        assert all(int(row[3]) == by_id[int(row[0])] for row in services)
    finally:
        demo_data_delete()


def test_a_csv_tells_its_progress_while_postgresql_writes_it(people, incidents, monkeypatch):
    from django.db import DEFAULT_DB_ALIAS, connections

    from reports import exports
    from reports.services import export_root

    seen = []
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    original = exports.write_csv_copy

    def watching(path, names, statement, params, progress):
        def told(rows):
            progress(rows)
            # Told through another connection (this one is busy with the COPY): readable at once
            # by anyone following the export.
            side = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                with side.cursor() as cursor:
                    cursor.execute("SELECT rows FROM reports_export WHERE id = %s", [export_id])
                    seen.append(cursor.fetchone()[0])
            finally:
                side.close()

        return original(path, names, statement, params, told)

    monkeypatch.setattr(exports, "write_csv_copy", watching)
    accepted = people["alice"].post("/api/v1/exports/", {"resource": "incidents", "format": "csv"}, format="json")
    export_id = accepted.json()["id"]
    export_run.apply(args=[export_id])
    done = Export.objects.get(pk=export_id)
    assert (done.status, done.rows) == ("done", 3)
    assert seen == [1, 2, 3]
    rows = list(csv.reader(io.StringIO((export_root() / done.file_path).read_text())))
    assert len(rows) == 4
