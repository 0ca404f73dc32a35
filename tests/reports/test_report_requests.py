"""Treaty reports asked through the API, written by a real Celery worker and downloaded by their
owner, like an export."""

import io
import time

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from rest_framework.test import APIClient

from demo.services import demo_data_delete
from reports.models import Export, SummaryState
from tests.people import member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def country(transactional_db, settings, tmp_path):
    call_command("load_reference_data", verbosity=0)
    settings.EXPORT_ROOT = tmp_path / "exports"
    call_command("generate_demo_data", "--scale", "demo", "--seed", "3", verbosity=0)
    yield
    demo_data_delete()
    SummaryState.objects.update(refreshed_at=None)


def _client(username: str, role: str) -> APIClient:
    from django.contrib.auth import get_user_model

    from reference.models import Organisation

    acronym = "CNLPAL" if role in ("information_management_officer", "viewer") else "HI"
    user = member(get_user_model(), username, Organisation.objects.get(acronym=acronym), role)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def _finished(client: APIClient, url: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"the report did not finish: {body}")


def test_an_article_7_report_is_written_by_a_worker_and_downloaded_by_its_owner(country, celery_worker):
    officer = _client("awa.report", "information_management_officer")
    asked = officer.post("/api/v1/reports/", {"report": "article7", "year": 2023, "format": "xlsx"}, format="json")
    assert asked.status_code == 202, asked.json()
    body = _finished(officer, asked.json()["url"])
    assert body["status"] == "done", body
    assert (body["resource"], body["format"], body["filters"]) == ("article7", "xlsx", {"year": 2023})
    # The rows are the records the report lists as counted.
    assert body["rows"] > 0
    download = officer.get(body["download"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert len(workbook.sheetnames) >= 6
    # Another user neither follows nor downloads it.
    viewer = _client("ali.viewer", "viewer")
    assert viewer.get(asked.json()["url"]).status_code == 404
    assert viewer.get(body["download"]).status_code == 404


@pytest.mark.parametrize(("kind", "format"), [("monitor", "pdf"), ("ccm", "docx")])
def test_other_reports_and_formats(country, celery_worker, kind, format):
    viewer = _client("ali.viewer", "viewer")
    asked = viewer.post("/api/v1/reports/", {"report": kind, "year": 2022, "format": format}, format="json")
    assert asked.status_code == 202, asked.json()
    body = _finished(viewer, asked.json()["url"])
    assert body["status"] == "done", body
    content = b"".join(viewer.get(body["download"]).streaming_content)
    assert content.startswith(b"%PDF" if format == "pdf" else b"PK")


def test_an_article_5_annex_needs_a_capacity_when_asked_and_says_why_if_it_is_gone_when_written(country):
    from reports.models import ClearanceCapacity
    from reports.tasks import export_run

    officer = _client("awa.report", "information_management_officer")
    refused = officer.post("/api/v1/reports/", {"report": "article5", "year": 2024, "format": "xlsx"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["capacity"]
    capacity = ClearanceCapacity.objects.create(start_year=2020, teams=3, m2_per_team_per_year=100_000)
    asked = officer.post("/api/v1/reports/", {"report": "article5", "year": 2024, "format": "xlsx"}, format="json")
    assert asked.status_code == 202
    # The capacity is deleted before a worker writes the report.
    capacity.delete()
    export_run.apply(args=[asked.json()["id"]])
    body = officer.get(asked.json()["url"]).json()
    assert body["status"] == "failed"
    assert body["error"].startswith("The report could not be written: No clearance capacity is recorded")
    assert body["download"] is None


def test_wrong_requests_are_field_errors_and_a_role_without_statistics_is_refused(country):
    officer = _client("awa.report", "information_management_officer")
    wrong = officer.post("/api/v1/reports/", {"report": "article9", "year": 1800, "format": "odt"}, format="json")
    assert wrong.status_code == 400
    assert set(wrong.json()) == {"report", "format"}
    too_early = officer.post("/api/v1/reports/", {"report": "article7", "year": 1800, "format": "pdf"}, format="json")
    assert too_early.status_code == 400
    assert list(too_early.json()) == ["year"]
    # A list is not exported as a document.
    listed = officer.post("/api/v1/exports/", {"resource": "incidents", "format": "docx"}, format="json")
    assert listed.status_code == 400
    assert list(listed.json()) == ["format"]
    field_user = _client("oumar.field", "partner_field_user")
    refused = field_user.post("/api/v1/reports/", {"report": "article7", "year": 2023, "format": "pdf"}, format="json")
    assert refused.status_code == 403
    assert Export.objects.count() == 0
