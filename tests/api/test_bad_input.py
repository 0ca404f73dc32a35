"""Bad input gets a specific JSON 4xx naming the field or the limit, and nothing is written."""

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

from community.models import CommunityReport
from education.models import RiskEducationSession
from hazards.models import HazardArea, LandReleaseActivity
from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource
from tests.api.helpers import GAO_POINT, MOPTI_POINT, hazard_payload, incident_payload

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

NUL_TEXT = "Text cannot contain the NUL character (\\u0000)."
TOO_DEEP = {"detail": "JSON nested deeper than 32 levels is refused."}
Z_MESSAGE = "Send longitude and latitude only: the geometry has a height (Z)."
MODELS = (Incident, Casualty, CasualtyIdentity, IncidentSource, HazardArea, LandReleaseActivity,
          RiskEducationSession, CommunityReport)  # fmt: skip


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def assert_json(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    return response.json()


def post_raw(client, url: str, body: str | bytes):
    return client.generic("POST", url, body, content_type="application/json")


def nested(depth: int):
    """`depth` levels of JSON arrays, the innermost holding a 1."""
    value = 1
    for _ in range(depth):
        value = [value]
    return value


# --- 1. Nesting -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 100_000, "[" * 100_000 + "]" * 100_000], ids=["unclosed", "closed"])
def test_json_nested_beyond_pythons_recursion_limit_is_a_400_not_a_500(api_alice, body):
    before = counts()
    response = post_raw(api_alice, "/api/v1/incidents/", body)
    assert assert_json(response, 400) == TOO_DEEP
    assert counts() == before


def test_a_body_nested_deeper_than_32_levels_is_refused_naming_the_limit(api_alice):
    before = counts()
    # The record itself is level 1: 32 more arrays in one of its fields make 33.
    response = api_alice.post("/api/v1/incidents/", incident_payload(description=nested(32)), format="json")
    assert assert_json(response, 400) == TOO_DEEP
    assert counts() == before
    # One level less passes the parser and reaches the serializer, which names the field.
    shallower = api_alice.post("/api/v1/incidents/", incident_payload(description=nested(31)), format="json")
    assert list(assert_json(shallower, 400)) == ["description"]
    assert counts() == before


# --- 2. NUL characters --------------------------------------------------------------------------


def test_nul_in_a_body_string_is_a_field_error_and_nothing_is_saved(api_alice):
    before = counts()
    response = api_alice.post("/api/v1/incidents/", incident_payload(external_id="INC\x00-1"), format="json")
    assert assert_json(response, 400) == {"external_id": [NUL_TEXT]}
    assert counts() == before


def test_nul_in_a_nested_casualty_is_reported_at_its_position(api_alice):
    before = counts()
    payload = incident_payload(
        casualties=[
            {"outcome": "injured", "age": 30},
            {"outcome": "injured", "age": 12, "injury_description": "leg\x00", "identity": {"full_name": "A\x00"}},
        ],
    )
    response = api_alice.post("/api/v1/incidents/", payload, format="json")
    assert assert_json(response, 400) == {
        "casualties": {"1": {"injury_description": [NUL_TEXT], "identity": {"full_name": [NUL_TEXT]}}}
    }
    assert counts() == before


def test_nul_in_a_key_is_a_field_error_named_as_sent(api_alice):
    before = counts()
    response = api_alice.post("/api/v1/incidents/", {**incident_payload(), "note\x00": "x"}, format="json")
    assert assert_json(response, 400) == {"note\\u0000": [NUL_TEXT]}
    assert counts() == before


def test_nul_in_the_url_path_is_a_json_400(api_alice):
    before = counts()
    response = api_alice.put("/api/v1/incidents/external/abc%00def/", incident_payload(), format="json")
    assert assert_json(response, 400) == {"detail": "The URL path cannot contain a NUL character."}
    assert counts() == before


def test_nul_in_the_query_string_is_a_400_naming_the_parameter(api_alice):
    response = api_alice.get("/api/v1/incidents/?external_id=a%00&status=draft")
    assert assert_json(response, 400) == {"external_id": [NUL_TEXT]}


def test_the_middlewares_answers_follow_the_requests_language(api_alice):
    response = api_alice.get("/api/v1/incidents/?external_id=a%00", HTTP_ACCEPT_LANGUAGE="fr")
    assert assert_json(response, 400) == {"external_id": ["Un texte ne peut pas contenir le caractère NUL (\\u0000)."]}


def test_nul_in_a_pages_url_is_left_to_django(client):
    # Only the API answers JSON; a page keeps Django's own handling (here: not found, no 500).
    assert client.get("/no-such-page%00/").status_code == 404


# --- 3. Oversized bodies ------------------------------------------------------------------------


@pytest.fixture
def small_upload_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    return 2_000


TOO_LARGE = {"detail": "The request body is larger than the limit of 2000 bytes: send fewer records per request."}


def test_a_body_over_the_upload_limit_is_a_json_413_naming_the_limit(api_alice, small_upload_limit):
    before = counts()
    response = api_alice.post("/api/v1/incidents/", incident_payload(description="x" * 3_000), format="json")
    assert assert_json(response, 413) == TOO_LARGE
    assert counts() == before
    # Under the limit, the same request goes through.
    under = api_alice.post("/api/v1/incidents/", incident_payload(description="x" * 500), format="json")
    assert under.status_code == 201


def test_a_body_over_the_limit_read_by_drf_is_a_json_413_too(api_alice, small_upload_limit, settings):
    # Without the middleware Django raises RequestDataTooBig while DRF reads the body.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "core.middleware.APIRequestGuardMiddleware"]
    before = counts()
    response = api_alice.post("/api/v1/incidents/", incident_payload(description="x" * 3_000), format="json")
    assert assert_json(response, 413) == TOO_LARGE
    assert counts() == before


def test_a_content_length_that_is_not_a_number_is_a_json_400(api_alice):
    body = json.dumps(incident_payload())
    response = api_alice.generic("POST", "/api/v1/incidents/", body, content_type="application/json",
                                 CONTENT_LENGTH="many")  # fmt: skip
    assert assert_json(response, 400) == {"detail": "The Content-Length header is not a number."}
    assert not Incident.objects.exists()


# --- 4. 3D geometry -----------------------------------------------------------------------------


def test_a_point_with_a_height_is_a_field_error(api_alice):
    before = counts()
    location = {"type": "Point", "coordinates": [*GAO_POINT["coordinates"], 310.0]}
    response = api_alice.post("/api/v1/incidents/", incident_payload(location=location), format="json")
    assert assert_json(response, 400) == {"location": [Z_MESSAGE]}
    assert counts() == before


def test_a_hazard_polygon_with_a_height_is_a_field_error(api_alice):
    before = counts()
    ring = [[-4.19, 14.49, 270], [-4.18, 14.49, 271], [-4.18, 14.50, 272], [-4.19, 14.50, 270], [-4.19, 14.49, 270]]
    response = api_alice.post(
        "/api/v1/hazard-areas/", hazard_payload(geometry={"type": "Polygon", "coordinates": [ring]}), format="json"
    )
    assert assert_json(response, 400) == {"geometry": [Z_MESSAGE]}
    assert counts() == before


# --- 5. Implausible dates -----------------------------------------------------------------------

BEFORE_1940 = ["The date cannot be before 1940-01-01."]
SESSION = {"location": MOPTI_POINT, "method": "direct", "target_group": "school", "girls": 12}
REPORT = {"subject": "item", "item_count": 2, "location": GAO_POINT}


@pytest.mark.parametrize(
    ("url", "payload", "errors"),
    [
        ("/api/v1/incidents/", incident_payload(incident_date="0001-01-01"), {"incident_date": BEFORE_1940}),
        ("/api/v1/incidents/", incident_payload(sources=[{"source_type": "health", "reliability": "confirmed",
                                                              "reported_on": "1800-05-02"}]),
         {"sources": {"0": {"reported_on": BEFORE_1940}}}),
        ("/api/v1/hazard-areas/", hazard_payload(survey_date="1800-03-15", hazard_status_date="2024-03-15"),
         {"survey_date": BEFORE_1940}),
        ("/api/v1/risk-education-sessions/", {**SESSION, "session_date": "1939-12-31"}, {"session_date": BEFORE_1940}),
        ("/api/v1/community-reports/", {**REPORT, "report_date": "1800-01-01"}, {"report_date": BEFORE_1940}),
    ],
    ids=["incident_date", "reported_on", "survey_date", "session_date", "report_date"],
)  # fmt: skip
def test_an_event_date_before_the_floor_is_a_field_error(api_alice, url, payload, errors):
    before = counts()
    assert assert_json(api_alice.post(url, payload, format="json"), 400) == errors
    assert counts() == before


def test_activity_dates_before_the_floor_are_field_errors(api_alice):
    hazard = api_alice.post("/api/v1/hazard-areas/", hazard_payload(), format="json").json()
    before = counts()
    activity = {"kind": "nts", "hazard_area": hazard["id"], "start_date": "1800-04-01", "end_date": "1800-04-02"}
    response = api_alice.post("/api/v1/land-release-activities/", activity, format="json")
    assert assert_json(response, 400) == {"start_date": BEFORE_1940, "end_date": BEFORE_1940}
    assert counts() == before


def test_a_floor_that_is_not_a_date_stops_start_up():
    # A fresh interpreter: settings are read once per process.
    environ = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "SECRET_KEY": "x",
               "DJANGO_READ_DOT_ENV_FILE": "False", "PLAUSIBLE_DATE_FLOOR": "1er janvier 1940"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", "import mineaction.settings.production"], cwd="/", env=environ,
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: "
        "PLAUSIBLE_DATE_FLOOR must be a date as YYYY-MM-DD, not '1er janvier 1940'"
    )


def test_the_floor_is_the_setting_and_is_itself_accepted(api_alice, settings):
    settings.PLAUSIBLE_DATE_FLOOR = datetime.date(2000, 1, 1)
    refused = api_alice.post("/api/v1/incidents/", incident_payload(incident_date="1999-12-31"), format="json")
    assert assert_json(refused, 400) == {"incident_date": ["The date cannot be before 2000-01-01."]}
    accepted = api_alice.post("/api/v1/incidents/", incident_payload(incident_date="2000-01-01"), format="json")
    assert accepted.status_code == 201
    assert Incident.objects.count() == 1


# --- 6. Derived fields on partial updates -------------------------------------------------------


@pytest.fixture
def adult_casualty(api_alice):
    payload = incident_payload(casualties=[{"outcome": "injured", "sex": "male", "age": 30}])
    return api_alice.post("/api/v1/incidents/", payload, format="json").json()["casualties"][0]


def test_a_new_age_alone_re_derives_the_age_group(api_alice, adult_casualty):
    assert adult_casualty["age_group"] == "adult"
    response = api_alice.patch(f"/api/v1/casualties/{adult_casualty['id']}/", {"age": 10}, format="json")
    body = assert_json(response, 200)
    assert (body["age"], body["age_group"]) == (10, "child")
    assert Casualty.objects.filter(pk=adult_casualty["id"], age=10, age_group="child").exists()


def test_a_new_age_with_a_contradicting_age_group_is_a_field_error(api_alice, adult_casualty):
    url = f"/api/v1/casualties/{adult_casualty['id']}/"
    before = Casualty.objects.get(pk=adult_casualty["id"])
    response = api_alice.patch(url, {"age": 10, "age_group": "adult"}, format="json")
    assert assert_json(response, 400) == {"age_group": ["The age group does not match the age 10."]}
    stored = Casualty.objects.get(pk=adult_casualty["id"])
    assert (stored.age, stored.age_group, stored.updated_at) == (30, "adult", before.updated_at)


# --- 7. Date of birth against the age ----------------------------------------------------------


def _with_identity(age, date_of_birth: str) -> dict:
    casualty = {"outcome": "injured", "sex": "female", "identity": {"full_name": "Aminata Touré",
                                                                     "date_of_birth": date_of_birth}}  # fmt: skip
    if age is not None:
        casualty["age"] = age
    return incident_payload(casualties=[casualty])


def test_a_date_of_birth_contradicting_the_age_is_a_field_error(api_alice):
    before = counts()
    # Born in 2014, ten at the incident of 2024-03-15, reported as 30.
    response = api_alice.post("/api/v1/incidents/", _with_identity(30, "2014-01-10"), format="json")
    assert assert_json(response, 400) == {
        "casualties": {"0": {"identity": {"date_of_birth": [
            "The date of birth gives an age of 10 at the incident, not the age 30 reported."
        ]}}}
    }  # fmt: skip
    assert counts() == before


def test_a_date_of_birth_more_than_120_years_before_the_incident_is_refused_without_an_age(api_alice):
    before = counts()
    response = api_alice.post("/api/v1/incidents/", _with_identity(None, "1900-01-01"), format="json")
    assert assert_json(response, 400) == {
        "casualties": {"0": {"identity": {"date_of_birth": [
            "The date of birth lies more than 120 years before the incident."
        ]}}}
    }  # fmt: skip
    assert counts() == before


def test_a_date_of_birth_within_a_year_of_the_age_is_accepted(api_alice):
    # Eleven at the incident, reported as ten: ages are often given at the last birthday or rounded.
    response = api_alice.post("/api/v1/incidents/", _with_identity(10, "2013-01-10"), format="json")
    assert assert_json(response, 201)["casualties"][0]["age_group"] == "child"
    assert CasualtyIdentity.objects.get().date_of_birth == datetime.date(2013, 1, 10)


def test_a_new_age_contradicting_the_stored_date_of_birth_is_a_field_error(api_alice):
    created = api_alice.post("/api/v1/incidents/", _with_identity(10, "2014-01-10"), format="json").json()
    casualty = created["casualties"][0]
    response = api_alice.patch(f"/api/v1/casualties/{casualty['id']}/", {"age": 40}, format="json")
    assert assert_json(response, 400) == {
        "age": ["The date of birth gives an age of 10 at the incident, not the age 40 reported."]
    }
    assert Casualty.objects.get(pk=casualty["id"]).age == 10
