"""GET /api/v1/removals/: a partner syncing with `updated_since` learns what left its view."""

import pytest

from core.models import RecordStatus
from hazards.models import HazardArea
from incidents.models import Incident
from tests.api.helpers import GAO_POINT, approve, hazard_payload, incident_payload

pytestmark = pytest.mark.django_db

# About 534 m east of GAO_POINT.
NEAR_POINT = {"type": "Point", "coordinates": [-0.035, 16.27]}


def _removals(client, **query) -> list[dict]:
    response = client.get("/api/v1/removals/", query)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_a_deleted_draft_is_listed_for_its_reporter_only(api_alice, api_charlie, api_officer):
    created = api_alice.post("/api/v1/hazard-areas/", hazard_payload(external_id="HI-HA-9"), format="json").json()
    deleted = api_alice.delete(f"/api/v1/hazard-areas/{created['id']}/", HTTP_IF_MATCH=f'"{created["version"]}"')
    assert deleted.status_code == 204

    [removal] = _removals(api_alice)
    assert {k: v for k, v in removal.items() if k != "removed_at"} == {
        "record_type": "hazard-areas",
        "id": created["id"],
        "external_id": "HI-HA-9",
        "organisation": "HI",
        "reason": "deleted",
        "merged_into": None,
    }
    # Partner B never saw the draft: nothing to tell it. The authority sees every deletion.
    assert _removals(api_charlie) == []
    assert [r["id"] for r in _removals(api_officer)] == [created["id"]]


def test_a_restored_record_leaves_the_list_and_comes_back_in_the_stream(api_alice):
    created = api_alice.post("/api/v1/hazard-areas/", hazard_payload(external_id="HI-HA-10"), format="json").json()
    api_alice.delete(f"/api/v1/hazard-areas/{created['id']}/", HTTP_IF_MATCH=f'"{created["version"]}"')
    assert len(_removals(api_alice)) == 1

    assert api_alice.post(f"/api/v1/hazard-areas/{created['id']}/restore/").status_code == 200
    assert _removals(api_alice) == []
    stream = api_alice.get("/api/v1/hazard-areas/", {"updated_since": created["updated_at"]}).json()["results"]
    assert [r["id"] for r in stream] == [created["id"]]


def test_a_merged_approved_incident_is_listed_with_the_record_that_holds_it(api_alice, api_charlie, api_officer):
    ngo = api_alice.post("/api/v1/incidents/", incident_payload(location=GAO_POINT), format="json").json()
    other = api_charlie.post(
        "/api/v1/incidents/", incident_payload(location=NEAR_POINT, external_id="DRC-7"), format="json"
    ).json()
    approve(Incident, ngo["id"])
    approve(Incident, other["id"])

    merged = api_officer.post(f"/api/v1/incidents/{ngo['id']}/merge/", {"duplicate": other["id"]}, format="json")
    assert merged.status_code == 200, merged.json()

    # Partner A had seen partner B's approved report: it learns where it went.
    [removal] = _removals(api_alice, record_type="incidents")
    assert (removal["id"], removal["reason"], removal["merged_into"], removal["organisation"]) == (
        other["id"],
        "merged",
        ngo["id"],
        "DRC",
    )
    assert [r["external_id"] for r in _removals(api_charlie)] == ["DRC-7"]
    assert _removals(api_alice, record_type="hazard-areas") == []


def test_a_reopened_record_is_withdrawn_for_other_partners_until_approved_again(api_alice, api_charlie, api_officer):
    created = api_alice.post("/api/v1/hazard-areas/", hazard_payload(), format="json").json()
    approve(HazardArea, created["id"])
    version = HazardArea.objects.get(pk=created["id"]).version

    reopened = api_officer.post(
        f"/api/v1/hazard-areas/{created['id']}/reopen/", {"reason": "Polygone à corriger"}, format="json"
    )
    assert reopened.status_code == 200, reopened.json()
    assert reopened.json()["status"] == RecordStatus.SUBMITTED

    # Partner B no longer sees it: its sync is told. Partner A still sees its own record.
    assert [(r["id"], r["reason"]) for r in _removals(api_charlie)] == [(created["id"], "withdrawn")]
    assert api_charlie.get(f"/api/v1/hazard-areas/{created['id']}/").status_code == 404
    assert _removals(api_alice) == []
    assert _removals(api_officer) == []

    approved = api_officer.post(
        f"/api/v1/hazard-areas/{created['id']}/approve/", {"version": version + 1}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert _removals(api_charlie) == []
    assert api_charlie.get(f"/api/v1/hazard-areas/{created['id']}/").status_code == 200


def test_since_and_bad_filters(api_alice):
    created = api_alice.post("/api/v1/hazard-areas/", hazard_payload(), format="json").json()
    api_alice.delete(f"/api/v1/hazard-areas/{created['id']}/", HTTP_IF_MATCH=f'"{created["version"]}"')
    [removal] = _removals(api_alice)
    assert [r["id"] for r in _removals(api_alice, since=removal["removed_at"])] == [created["id"]]
    assert _removals(api_alice, since="2999-01-01T00:00:00Z") == []
    cursor = api_alice.get("/api/v1/removals/", {"pagination": "cursor"})
    assert cursor.status_code == 200
    assert cursor.json()["count"] is None
    bad = api_alice.get("/api/v1/removals/", {"since": "yesterday", "record_type": "planets"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"since", "record_type"}
