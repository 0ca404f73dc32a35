"""Personal data written with a record is read by its writer and the authority, not by other
partners; a record's history shown to another organisation names organisations, not staff."""

import pytest

from community.models import CommunityReport
from tests.api.helpers import MOPTI_POINT, approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(api_alice):
    created = api_alice.post(
        "/api/v1/community-reports/",
        {"report_date": "2024-05-02", "subject": "item", "location": MOPTI_POINT, "reporter_name": "Aminata Traoré",
         "description": "Objet suspect près du puits"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    changed = api_alice.patch(
        f"/api/v1/community-reports/{created.json()['id']}/",
        {"reporter_name": "Aminata Traoré (cheffe de village)"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    approve(CommunityReport, created.json()["id"])
    return created.json()


def test_another_partner_reads_the_report_without_the_reporters_name(report, api_alice, api_charlie, api_officer):
    url = f"/api/v1/community-reports/{report['id']}/"
    theirs = api_charlie.get(url).json()
    assert theirs["reporter_name"] == ""
    assert theirs["description"] == "Objet suspect près du puits"
    assert api_alice.get(url).json()["reporter_name"] == "Aminata Traoré (cheffe de village)"
    assert api_officer.get(url).json()["reporter_name"] == "Aminata Traoré (cheffe de village)"
    listed = api_charlie.get("/api/v1/community-reports/").json()["results"]
    assert [r["reporter_name"] for r in listed if r["id"] == report["id"]] == [""]


def test_history_for_another_partner_names_organisations_and_hides_personal_fields(report, api_alice, api_charlie):
    url = f"/api/v1/community-reports/{report['id']}/history/"
    mine = api_alice.get(url).json()
    assert [v["user"] for v in mine] == ["alice", "alice"]
    assert mine[1]["changes"]["reporter_name"] == ["Aminata Traoré", "Aminata Traoré (cheffe de village)"]

    theirs = api_charlie.get(url).json()
    assert [v["user"] for v in theirs] == ["HI", "HI"]
    assert all("reporter_name" not in v["changes"] and "updated_by" not in v["changes"] for v in theirs)
    assert "alice" not in str(theirs)
    assert "Aminata" not in str(theirs)
