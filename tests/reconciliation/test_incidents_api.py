"""GET /api/v1/incidents/{id}/duplicates/ and POST /api/v1/incidents/{id}/merge/."""

import pytest

from incidents.models import Incident
from tests.api.helpers import GAO_POINT, approve, incident_payload

pytestmark = pytest.mark.django_db

# About 534 m east of GAO_POINT.
NEAR_POINT = {"type": "Point", "coordinates": [-0.035, 16.27]}


@pytest.fixture
def reports(api_alice, api_charlie):
    """Partner A's report of an accident near Gao, and partner B's of the same one, a day later."""
    ngo = api_alice.post(
        "/api/v1/incidents/",
        incident_payload(
            location=GAO_POINT,
            casualties=[
                {"outcome": "killed", "sex": "male", "age": 40, "civilian_status": "civilian"},
                {"outcome": "injured", "sex": "female", "age": 8, "civilian_status": "civilian"},
            ],
            sources=[{"source_type": "health", "name": "CSRéf de Gao", "reliability": "confirmed"}],
        ),
        format="json",
    ).json()
    other = api_charlie.post(
        "/api/v1/incidents/",
        incident_payload(
            incident_date="2024-03-16",
            location=NEAR_POINT,
            casualties=[
                {"outcome": "killed", "sex": "male", "age": 40, "civilian_status": "civilian"},
                {"outcome": "injured", "sex": "male", "civilian_status": "military"},
            ],
            sources=[{"source_type": "media", "name": "Studio Tamani", "reliability": "unconfirmed"}],
        ),
        format="json",
    ).json()
    far = api_charlie.post(
        "/api/v1/incidents/", incident_payload(location={"type": "Point", "coordinates": [0.06, 16.27]}), format="json"
    ).json()
    return {"ngo": ngo, "other": other, "far": far}


def _merge(client, keep, duplicate, reason="Même accident, deux sources"):
    return client.post(
        f"/api/v1/incidents/{keep['id']}/merge/", {"duplicate": duplicate["id"], "reason": reason}, format="json"
    )


def test_duplicates_lists_the_probable_same_events(api_officer, reports):
    response = api_officer.get(f"/api/v1/incidents/{reports['ngo']['id']}/duplicates/")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 1
    candidate = body[0]
    assert set(candidate) == {
        "id", "reference", "organisation", "status", "incident_date", "location", "device_category", "distance_m",
        "days_apart", "killed", "injured", "score",
    }  # fmt: skip
    assert {k: candidate[k] for k in ("id", "reference", "organisation", "status", "incident_date")} == {
        "id": reports["other"]["id"],
        "reference": reports["other"]["reference"],
        "organisation": "DRC",
        "status": "draft",
        "incident_date": "2024-03-16",
    }
    assert (candidate["days_apart"], candidate["killed"], candidate["injured"]) == (1, 1, 1)
    assert candidate["distance_m"] == pytest.approx(534, rel=0.02)
    assert candidate["device_category"] == "improvised_ap_mine"
    geojson = api_officer.get(f"/api/v1/incidents/{reports['ngo']['id']}/duplicates/?format=geojson").json()
    assert geojson["features"][0]["geometry"] == NEAR_POINT
    assert geojson["features"][0]["properties"]["reference"] == reports["other"]["reference"]
    # Same device, same counts, 534 m and one day apart.
    assert candidate["score"] == pytest.approx(0.3 * (1 - candidate["distance_m"] / 5000) + 0.2 * 0.75 + 0.5, abs=1e-3)


def test_a_partner_sees_only_candidates_it_may_read(api_alice, api_charlie, reports):
    # Partner B's report is a draft: not a candidate for partner A.
    assert api_alice.get(f"/api/v1/incidents/{reports['ngo']['id']}/duplicates/").json() == []
    # Partner A's draft is not even visible to partner B.
    assert api_charlie.get(f"/api/v1/incidents/{reports['ngo']['id']}/duplicates/").status_code == 404


def test_the_officer_merges_and_both_sources_stay(api_officer, reports):
    response = _merge(api_officer, reports["ngo"], reports["other"])
    assert response.status_code == 200, response.json()
    kept = response.json()
    assert kept["id"] == reports["ngo"]["id"]
    assert kept["version"] == reports["ngo"]["version"] + 1
    assert response["ETag"] == f'"{kept["version"]}"'
    assert [(s["source_type"], s["name"], s["reliability"], s["source_reference"]) for s in kept["sources"]] == [
        ("health", "CSRéf de Gao", "confirmed", ""),
        ("media", "Studio Tamani", "unconfirmed", ""),
        ("operator", "Danish Refugee Council", "probable", reports["other"]["reference"]),
    ]
    # The killed man reported by both is one casualty; the injured soldier only B reported is added.
    assert [(c["outcome"], c["sex"], c["civilian_status"]) for c in kept["casualties"]] == [
        ("killed", "male", "civilian"),
        ("injured", "female", "civilian"),
        ("injured", "male", "military"),
    ]


def test_the_merged_incident_leaves_lists_and_reads(api_officer, reports):
    _merge(api_officer, reports["ngo"], reports["other"])
    assert api_officer.get(f"/api/v1/incidents/{reports['other']['id']}/").status_code == 404
    listed = [r["id"] for r in api_officer.get("/api/v1/incidents/").json()["results"]]
    assert reports["other"]["id"] not in listed
    assert reports["ngo"]["id"] in listed
    casualties = api_officer.get("/api/v1/casualties/").json()["results"]
    assert [c["incident"] for c in casualties] == [reports["ngo"]["id"]] * 3
    assert api_officer.get(f"/api/v1/incidents/{reports['ngo']['id']}/duplicates/").json() == []


def test_a_merged_incident_counts_once_in_statistics(api_officer, reports):
    for report in (reports["ngo"], reports["other"]):
        approve(Incident, report["id"])
    url = "/api/v1/statistics/casualties/?group_by=outcome"
    before = api_officer.get(url).json()
    assert before["total"] == 4
    assert before["results"] == [{"outcome": "injured", "count": 2}, {"outcome": "killed", "count": 2}]

    assert _merge(api_officer, reports["ngo"], reports["other"]).status_code == 200
    after = api_officer.get(url).json()
    assert after["total"] == 3
    assert after["results"] == [{"outcome": "injured", "count": 2}, {"outcome": "killed", "count": 1}]


def test_casualties_of_a_deleted_incident_no_longer_count(api_officer, api_charlie, reports):
    url = f"/api/v1/incidents/{reports['other']['id']}/"
    assert api_charlie.delete(url, HTTP_IF_MATCH=f'"{reports["other"]["version"]}"').status_code == 204
    # Approved, then deleted: whatever its status, a deleted incident is out of every figure and list.
    Incident.all_objects.filter(pk=reports["other"]["id"]).update(status="approved")
    assert api_officer.get("/api/v1/statistics/casualties/?group_by=outcome").json()["total"] == 0
    assert api_officer.get(f"/api/v1/casualties/?incident={reports['other']['id']}").json()["results"] == []


def test_the_history_says_who_merged_what(api_officer, reports):
    _merge(api_officer, reports["ngo"], reports["other"])
    history = api_officer.get(f"/api/v1/incidents/{reports['ngo']['id']}/history/").json()
    assert [(e["action"], e["user"]) for e in history] == [("create", "alice"), ("merge", "awa")]
    assert history[-1]["reason"] == (
        f"Merged {reports['other']['reference']} into {reports['ngo']['reference']}: Même accident, deux sources"
    )
    gone = api_officer.get(f"/api/v1/incidents/{reports['other']['id']}/history/").json()
    assert [(e["action"], e["user"]) for e in gone][-1] == ("merge", "awa")
    assert gone[-1]["changes"]["deleted_at"][0] is None


def test_a_partner_may_not_merge(api_alice, api_charlie, reports):
    approve(Incident, reports["other"]["id"])
    response = _merge(api_alice, reports["ngo"], reports["other"])
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role may not merge records."}
    assert Incident.objects.filter(pk=reports["other"]["id"]).exists()


def test_merge_input_errors(api_officer, reports):
    url = f"/api/v1/incidents/{reports['ngo']['id']}/merge/"
    assert api_officer.post(url, {}, format="json").json() == {"duplicate": ["This field is required."]}
    itself = api_officer.post(url, {"duplicate": reports["ngo"]["id"]}, format="json")
    assert itself.status_code == 400
    assert itself.json() == {"duplicate": ["Choose another record."]}
    missing = api_officer.post(url, {"duplicate": 999_999}, format="json")
    assert missing.json() == {"duplicate": ["No such incident, or not visible to you."]}
    assert api_officer.post("/api/v1/incidents/999999/merge/", {"duplicate": 1}, format="json").status_code == 404


def test_an_approved_duplicate_is_not_merged_into_an_unapproved_record(api_officer, reports):
    from incidents.models import Incident

    Incident.objects.filter(pk=reports["other"]["id"]).update(status="approved")
    response = _merge(api_officer, reports["ngo"], reports["other"])
    assert response.status_code == 400
    assert response.json() == {"duplicate": ["The duplicate is approved and the record kept is not."]}
    assert Incident.objects.filter(pk=reports["other"]["id"]).exists()
    # The other way round keeps the approved figures.
    assert _merge(api_officer, reports["other"], reports["ngo"]).status_code == 200
