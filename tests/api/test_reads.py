"""Lists: filters, pagination, GeoJSON, bounded queries; tokens; throttling; statistics."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Incident
from tests.api.helpers import approve, incident_payload

pytestmark = pytest.mark.django_db

MOPTI = {"type": "Point", "coordinates": [-4.19, 14.49]}
GAO = {"type": "Point", "coordinates": [-0.04, 16.27]}


@pytest.fixture
def incidents(api_alice, api_charlie):
    """Three of partner A (Gao 2021, Mopti 2023 x2), one of partner B (Mopti 2022), all approved but one."""
    made = []
    for client, date, place, device, casualties in [
        (api_alice, "2021-05-01", GAO, "improvised_av_mine", [{"outcome": "killed", "sex": "male", "age": 30}]),
        (api_alice, "2023-02-10", MOPTI, "av_mine", [{"outcome": "injured", "sex": "female", "age": 9},
                                                     {"outcome": "injured", "sex": "male", "age": 12}]),
        (api_alice, "2023-07-04", MOPTI, "uxo", [{"outcome": "injured", "sex": "male", "age": 25}]),
        (api_charlie, "2022-01-20", MOPTI, "other_ied", [{"outcome": "killed", "sex": "male", "age": 44}]),
    ]:  # fmt: skip
        payload = incident_payload(incident_date=date, location=place, device_category_reported=device,
                                   how_activated="unknown", casualties=casualties)  # fmt: skip
        response = client.post("/api/v1/incidents/", payload, format="json")
        assert response.status_code == 201, response.json()
        made.append(response.json())
    for incident in made[:3]:
        approve(Incident, incident["id"])
    return made


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return sorted(r["id"] for r in response.json()["results"])


def test_filters_by_date_area_box_status_organisation_and_category(api_officer, incidents):
    a, b, c, d = (i["id"] for i in incidents)
    get = lambda query: _ids(api_officer.get(f"/api/v1/incidents/?{query}"))  # noqa: E731
    assert get("date_after=2022-01-01&date_before=2023-03-01") == [b, d]
    assert get("admin_area=ML05") == [b, c, d]
    assert get("admin_area=ML") == [a, b, c, d]
    assert get("bbox=-1,15,1,17") == [a]
    assert get("status=draft") == [d]
    assert get("organisation=DRC") == [d]
    assert get("category=other_ied&category=uxo") == [c, d]
    assert get("category=av_mine") == [b]


def test_updated_since_lists_what_changed(api_officer, incidents):
    stamp = timezone.now()
    Incident.objects.filter(pk=incidents[0]["id"]).update(updated_at=stamp + datetime.timedelta(seconds=5))
    response = api_officer.get(
        "/api/v1/incidents/", {"updated_since": (stamp + datetime.timedelta(seconds=1)).isoformat()}
    )
    assert _ids(response) == [incidents[0]["id"]]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("bbox=1,2,3", "bbox", "Give the box as west,south,east,north in degrees (WGS84)."),
        ("bbox=5,0,1,1", "bbox", "The box must have west < east and south < north, within -180..180 and -90..90."),
        ("date_after=yesterday", "date_after", "Enter a valid date."),
        ("status=done", "status", "Select a valid choice. done is not one of the available choices."),
    ],
)
def test_bad_filters_are_400_with_the_filter_named(api_officer, query, field, message):
    response = api_officer.get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_a_partner_lists_approved_national_data_and_its_own_drafts(api_charlie, incidents):
    # Partner B: partner A's three approved incidents and its own draft.
    assert _ids(api_charlie.get("/api/v1/incidents/")) == sorted(i["id"] for i in incidents)
    Incident.objects.filter(pk=incidents[2]["id"]).update(status="submitted")
    assert incidents[2]["id"] not in _ids(api_charlie.get("/api/v1/incidents/"))


def test_pages_of_100_up_to_1000(api_officer, incidents):
    whole = api_officer.get("/api/v1/incidents/?page_size=4").json()
    assert (whole["count"], len(whole["results"]), whole["next"]) == (4, 4, None)
    assert len(api_officer.get("/api/v1/incidents/?page_size=5000").json()["results"]) == 4
    from core.api.pagination import RecordPagination

    assert (RecordPagination.page_size, RecordPagination.max_page_size) == (100, 1000)


def test_a_list_longer_than_a_page_comes_by_cursor_in_its_own_order_never_counted(api_officer, incidents):
    seen, url = [], "/api/v1/incidents/?page_size=3&ordering=-incident_date"
    while url:
        with CaptureQueriesContext(connection) as queries:
            body = api_officer.get(url).json()
        # No count, and no OFFSET: a page deep in a million records costs what the first does.
        assert body["count"] is None
        assert not [q for q in queries if "COUNT(" in q["sql"] or "OFFSET" in q["sql"]]
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
        assert url is None or "cursor=" in url
    by_date = sorted(incidents, key=lambda i: (i["incident_date"], i["id"]), reverse=True)
    assert seen == [i["id"] for i in by_date]


def test_numbered_pages_are_counted_on_request(api_officer, incidents):
    page = api_officer.get("/api/v1/incidents/?page=2&page_size=3").json()
    assert (page["count"], len(page["results"]), page["next"]) == (4, 1, None)
    assert "page=" not in page["previous"]
    first = api_officer.get(page["previous"]).json()
    assert first["count"] is None
    assert "cursor=" in first["next"]
    assert api_officer.get("/api/v1/incidents/?page=1&page_size=3").json()["next"].endswith("page=2&page_size=3")
    for bad in ("0", "x", "3", "99999999999"):
        assert api_officer.get(f"/api/v1/incidents/?page={bad}&page_size=3").status_code == 404


def test_cursor_pages_follow_the_order_of_changes(api_officer, incidents):
    seen, url = [], "/api/v1/incidents/?pagination=cursor&page_size=3"
    while url:
        body = api_officer.get(url).json()
        assert body["count"] is None
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert seen == [i["id"] for i in incidents]


def test_spatial_lists_answer_as_geojson(api_officer, incidents):
    response = api_officer.get("/api/v1/incidents/?format=geojson&ordering=incident_date")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["count"] == 4
    first = body["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [-0.04, 16.27]}
    assert first["properties"]["reference"] == incidents[0]["reference"]
    assert "location" not in first["properties"]


@pytest.mark.parametrize("accept", ["application/json", "application/json, */*;q=0.1", "text/html", "text/csv"])
def test_an_explicit_format_wins_over_the_clients_accept_header(api_officer, incidents, accept):
    # GDAL (hence QGIS) asks `?format=geojson` with an Accept header of its own.
    response = api_officer.get("/api/v1/incidents/?format=geojson", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response.json()["type"] == "FeatureCollection"
    # Without a format the Accept header decides; an unknown format is not found.
    assert api_officer.get("/api/v1/incidents/", HTTP_ACCEPT="application/json")["Content-Type"] == "application/json"
    assert api_officer.get("/api/v1/incidents/?format=shapefile").status_code == 404


def test_list_query_count_does_not_grow_with_page_size(api_officer, incidents):
    counts = []
    for size in (1, 4):
        with CaptureQueriesContext(connection) as queries:
            assert api_officer.get(f"/api/v1/incidents/?page_size={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "resource",
    ["hazard-areas", "land-release-activities", "casualties", "risk-education-sessions", "survivors",
     "assistance-services", "community-reports", "admin-areas", "localities"],
)  # fmt: skip
def test_every_list_runs_a_bounded_number_of_queries(api_officer, resource):
    with CaptureQueriesContext(connection) as queries:
        assert api_officer.get(f"/api/v1/{resource}/?page_size=1000").status_code == 200
    assert len(queries) <= 8


def test_statistics_count_approved_casualties_by_year_and_sex(api_charlie, api_officer, incidents):
    body = api_charlie.get("/api/v1/statistics/casualties/?group_by=year,sex").json()
    assert body["results"] == [
        {"year": 2021, "sex": "male", "count": 1},
        {"year": 2023, "sex": "female", "count": 1},
        {"year": 2023, "sex": "male", "count": 2},
    ]
    assert body["total"] == 4

    by_device = api_officer.get("/api/v1/statistics/casualties/?group_by=device_category&admin_area=ML05").json()
    assert by_device["results"] == [{"device_category": "av_mine", "count": 2}, {"device_category": "uxo", "count": 1}]

    with_submitted = api_officer.get(
        "/api/v1/statistics/casualties/?group_by=outcome,age_group&include_submitted=true"
    ).json()
    # Partner B's incident is a draft: asking for submitted ones does not bring drafts in.
    assert with_submitted["total"] == 4
    Incident.objects.filter(pk=incidents[3]["id"]).update(status="submitted")
    assert api_officer.get("/api/v1/statistics/casualties/?group_by=outcome&include_submitted=1").json()["total"] == 5


def test_statistics_rules(api_charlie):
    assert api_charlie.get("/api/v1/statistics/casualties/?group_by=colour").json() == {
        "group_by": ["Group by one or more of: year, month, admin_area, device_category, civilian_status, sex, "
                     "age_group, outcome."]
    }  # fmt: skip
    response = api_charlie.get("/api/v1/statistics/casualties/?group_by=year&include_submitted=true")
    assert response.status_code == 403


# --- Tokens and throttling ---------------------------------------------------------------------


def test_a_user_obtains_reads_and_revokes_a_token(api_anonymous, alice):
    created = api_anonymous.post("/api/v1/auth/token/", {"username": "alice", "password": "pw-alice-42"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert created.json()["organisation"] == "HI"
    again = api_anonymous.post("/api/v1/auth/token/", {"username": "alice", "password": "pw-alice-42"})
    assert (again.status_code, again.json()["token"]) == (200, token)

    api_anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    info = api_anonymous.get("/api/v1/auth/token/").json()
    assert (info["has_token"], info["username"]) == (True, "alice")
    assert "token" not in info
    assert api_anonymous.delete("/api/v1/auth/token/").status_code == 204
    assert api_anonymous.get("/api/v1/hazard-areas/").status_code == 401


def test_wrong_credentials_get_401(api_anonymous, alice):
    response = api_anonymous.post("/api/v1/auth/token/", {"username": "alice", "password": "nope"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong user name or password."}


def test_throttled_requests_get_429_with_retry_after(api_alice, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    statuses = [api_alice.get("/api/v1/organisations/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api_alice.get("/api/v1/organisations/")
    assert 0 < int(response["Retry-After"]) <= 60


def test_statistics_filters_take_repeated_values(api_officer, incidents):
    body = api_officer.get("/api/v1/statistics/casualties/?group_by=sex&category=av_mine&category=uxo&sex=male").json()
    assert body["results"] == [{"sex": "male", "count": 2}]


def test_a_mistyped_api_url_answers_json(api_officer):
    response = api_officer.get("/api/v1/hazard-area/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_not_found_never_names_the_model(api_officer):
    assert api_officer.get("/api/v1/incidents/999999/").json() == {"detail": "Not found."}
