"""Retries never duplicate; concurrent edits never silently overwrite; bad input gets 400."""

import pytest

from hazards.models import HazardArea
from incidents.models import Casualty, CasualtyIdentity, Incident
from tests.api.helpers import MOPTI_POINT, hazard_payload, incident_payload

pytestmark = pytest.mark.django_db


# --- Idempotent writes ------------------------------------------------------------------------


def test_a_repeated_post_returns_the_first_record(api_alice):
    first = api_alice.post("/api/v1/hazard-areas/", hazard_payload(external_id="HI-7"), format="json")
    again = api_alice.post("/api/v1/hazard-areas/", hazard_payload(external_id="HI-7"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert first["Location"].endswith(f"/api/v1/hazard-areas/{first.json()['id']}/")
    assert HazardArea.objects.count() == 1


def test_external_ids_are_per_organisation(api_alice, api_charlie):
    assert api_alice.post("/api/v1/hazard-areas/", hazard_payload(external_id="X1"), format="json").status_code == 201
    assert api_charlie.post("/api/v1/hazard-areas/", hazard_payload(external_id="X1"), format="json").status_code == 201
    assert HazardArea.objects.count() == 2


def test_put_by_external_id_creates_then_updates(api_alice):
    url = "/api/v1/risk-education-sessions/external/HI-RE-2024-001/"
    session = {"session_date": "2024-03-10", "location": MOPTI_POINT, "method": "direct", "target_group": "school",
               "girls": 20, "boys": 25}  # fmt: skip
    created = api_alice.put(url, session, format="json")
    assert created.status_code == 201
    assert created.json()["external_id"] == "HI-RE-2024-001"

    updated = api_alice.put(url, {**session, "girls": 22}, format="json")
    assert updated.status_code == 200
    assert (updated.json()["id"], updated.json()["girls"]) == (created.json()["id"], 22)
    assert updated.json()["version"] == created.json()["version"] + 1


def test_put_by_external_id_cannot_reach_another_partners_record(api_alice, api_charlie):
    url = "/api/v1/risk-education-sessions/external/SHARED-1/"
    session = {"session_date": "2024-03-10", "location": MOPTI_POINT, "method": "mass_media", "target_group": "general"}
    assert api_alice.put(url, session, format="json").status_code == 201
    # The same identifier for partner B is partner B's own record, not partner A's.
    response = api_charlie.put(url, session, format="json")
    assert response.status_code == 201
    assert response.json()["organisation"] == "DRC"


# --- Optimistic concurrency ---------------------------------------------------------------------


@pytest.fixture
def hazard(api_alice):
    response = api_alice.post("/api/v1/hazard-areas/", hazard_payload(), format="json")
    return response.json() | {"etag": response["ETag"]}


def test_responses_carry_the_version_as_etag(api_alice, hazard):
    response = api_alice.get(f"/api/v1/hazard-areas/{hazard['id']}/")
    assert response["ETag"] == f'"{hazard["version"]}"' == hazard["etag"]
    not_modified = api_alice.get(f"/api/v1/hazard-areas/{hazard['id']}/", HTTP_IF_NONE_MATCH=hazard["etag"])
    assert not_modified.status_code == 304


def test_a_stale_if_match_is_refused_and_changes_nothing(api_alice, api_bob, hazard):
    url = f"/api/v1/hazard-areas/{hazard['id']}/"
    first = api_bob.patch(url, {"beneficiaries": 10}, format="json", HTTP_IF_MATCH=hazard["etag"])
    assert first.status_code == 200
    assert first["ETag"] != hazard["etag"]

    stale = api_alice.patch(url, {"beneficiaries": 99}, format="json", HTTP_IF_MATCH=hazard["etag"])
    assert stale.status_code == 412
    assert stale.json() == {
        "detail": "The record was changed since you read it: fetch it again and reapply your change."
    }
    assert HazardArea.objects.get(pk=hazard["id"]).beneficiaries == 10


def test_without_if_match_a_record_changed_by_someone_else_answers_428(api_alice, api_bob, hazard):
    url = f"/api/v1/hazard-areas/{hazard['id']}/"
    # Alice changed it last: her own script may write again without a precondition.
    assert api_alice.patch(url, {"beneficiaries": 5}, format="json").status_code == 200
    response = api_bob.patch(url, {"beneficiaries": 6}, format="json")
    assert response.status_code == 428
    assert HazardArea.objects.get(pk=hazard["id"]).beneficiaries == 5


def test_delete_honours_if_match(api_alice, api_bob, hazard):
    url = f"/api/v1/hazard-areas/{hazard['id']}/"
    assert api_bob.delete(url).status_code == 428
    assert api_bob.delete(url, HTTP_IF_MATCH='"999"').status_code == 412
    assert api_bob.delete(url, HTTP_IF_MATCH=hazard["etag"]).status_code == 204


# --- Nested writes ------------------------------------------------------------------------------


def test_an_incident_with_its_casualties_in_one_request(api_alice):
    payload = incident_payload(
        external_id="HI-INC-1",
        casualties=[
            {"outcome": "killed", "sex": "male", "age": 40, "civilian_status": "civilian", "external_id": "c1"},
            {"outcome": "injured", "sex": "female", "age": 8, "civilian_status": "civilian",
             "identity": {"full_name": "Fatoumata Cissé"}},
        ],
        sources=[{"source_type": "health", "name": "CSRéf de Gao", "reliability": "confirmed"}],
    )  # fmt: skip
    response = api_alice.post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["device_category"] == "improvised_ap_mine"
    assert body["device_category_reported"] == "improvised_av_mine"
    assert [(c["outcome"], c["age_group"]) for c in body["casualties"]] == [("killed", "adult"), ("injured", "child")]
    # Identity is stored, never sent back.
    assert CasualtyIdentity.objects.get().full_name == "Fatoumata Cissé"
    assert "identity" not in body["casualties"][1]
    assert "Fatoumata" not in response.content.decode()


def test_a_bad_casualty_rejects_the_whole_incident_with_nested_messages(api_alice):
    payload = incident_payload(casualties=[{"outcome": "injured", "age": 30}, {"outcome": "injured", "age": 140}])
    response = api_alice.post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"casualties": {"1": {"age": ["Ensure this value is less than or equal to 120."]}}}
    assert not Incident.objects.exists()
    assert not Casualty.objects.exists()


def test_domain_rule_messages_are_field_level(api_alice):
    response = api_alice.post(
        "/api/v1/incidents/",
        incident_payload(location={"type": "Point", "coordinates": [2.35, 48.85]}, incident_date="2999-01-01"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "location": ["The location lies outside the country."],
        "incident_date": ["The date cannot be in the future."],
    }


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Polygon", "coordinates": [[[-4.19, 14.49], [-4.18, 14.5], [-4.18, 14.49], [-4.19, 14.5],
                                               [-4.19, 14.49]]]}, "The geometry is not valid: Self-intersection"),
        ({"type": "Point", "coordinates": [-4.19, 14.49]}, "Expected a MultiPolygon, got a Point."),
        ("not a geometry", "Unable to convert to python object"),
    ],
)  # fmt: skip
def test_bad_geometries_get_a_specific_400(api_alice, geometry, message):
    response = api_alice.post("/api/v1/hazard-areas/", hazard_payload(geometry=geometry), format="json")
    assert response.status_code == 400
    assert response.json()["geometry"][0].startswith(message)


def test_released_area_beyond_the_hazard_is_a_400(api_alice, hazard):
    area = hazard["area_m2"]
    activity = {"kind": "nts", "hazard_area": hazard["id"], "start_date": "2024-04-01",
                "area_cancelled_m2": area / 10_000 * 1.5, "area_unit": "ha"}  # fmt: skip
    response = api_alice.post("/api/v1/land-release-activities/", activity, format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"][0].startswith("Released area (")


def test_casualties_endpoint_adds_to_an_editable_incident_only(api_alice, api_charlie):
    incident = api_alice.post("/api/v1/incidents/", incident_payload(), format="json").json()
    casualty = {"incident": incident["id"], "outcome": "injured", "age": 33, "external_id": "c-9"}
    first = api_alice.post("/api/v1/casualties/", casualty, format="json")
    again = api_alice.post("/api/v1/casualties/", casualty, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Casualty.objects.count() == 1
    # Partner B does not see partner A's draft incident at all.
    response = api_charlie.post("/api/v1/casualties/", {**casualty, "external_id": "c-10"}, format="json")
    assert response.status_code == 400
    assert "incident" in response.json()


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"geometry": 5}'])
def test_malformed_bodies_are_400_not_500(api_alice, body):
    response = api_alice.generic("POST", "/api/v1/hazard-areas/", body, content_type="application/json")
    assert response.status_code == 400


def test_service_errors_of_nested_records_have_drfs_shape():
    from core.api.exceptions import nest_errors

    assert nest_errors(
        {"casualties[2].age_group": ["x"], "casualties[2].identity.full_name": ["y"], "name": ["z"]}
    ) == {
        "casualties": {"2": {"age_group": ["x"], "identity": {"full_name": ["y"]}}},
        "name": ["z"],
    }


def test_upsert_location_points_at_the_record(api_alice):
    session = {"session_date": "2024-03-10", "location": MOPTI_POINT, "method": "digital", "target_group": "general"}
    created = api_alice.put("/api/v1/risk-education-sessions/external/LOC-1/", session, format="json")
    assert created["Location"] == f"http://testserver/api/v1/risk-education-sessions/{created.json()['id']}/"
    assert api_alice.get(created["Location"]).status_code == 200


def test_a_casualty_change_is_a_new_version_of_its_incident(api_alice):
    incident = api_alice.post("/api/v1/incidents/", incident_payload(), format="json")
    body = incident.json()
    api_alice.post("/api/v1/casualties/", {"incident": body["id"], "outcome": "injured"}, format="json")
    again = api_alice.get(f"/api/v1/incidents/{body['id']}/", HTTP_IF_NONE_MATCH=incident["ETag"])
    assert again.status_code == 200
    assert again.json()["version"] == body["version"] + 1
    assert len(again.json()["casualties"]) == 1


def test_only_drafts_and_rejected_records_are_deleted(api_alice):
    created = api_alice.post("/api/v1/hazard-areas/", hazard_payload(), format="json").json()
    assert created["version"] == 1
    HazardArea.objects.filter(pk=created["id"]).update(status="submitted")
    response = api_alice.delete(f"/api/v1/hazard-areas/{created['id']}/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a draft or a rejected record is deleted."}


def test_the_device_category_reported_defaults_to_unknown(api_alice):
    payload = incident_payload()
    del payload["device_category_reported"]
    response = api_alice.post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["device_category_reported"] == "unknown"


def test_a_deleted_records_external_id_answers_409_not_500(api_alice):
    created = api_alice.post("/api/v1/hazard-areas/", hazard_payload(external_id="GONE-1"), format="json").json()
    assert api_alice.delete(f"/api/v1/hazard-areas/{created['id']}/").status_code == 204
    again = api_alice.post("/api/v1/hazard-areas/", hazard_payload(external_id="GONE-1"), format="json")
    assert again.status_code == 409
    assert again.json() == {
        "detail": "A deleted or merged record holds this external_id: restore it, or send the record under another one."
    }
    assert api_alice.put("/api/v1/hazard-areas/external/GONE-1/", hazard_payload(), format="json").status_code == 409
