"""Many records in one request: `…/bulk-transition/` (the workflow on a selection) and `…/batch/`
(creation or upsert of up to 1000 records), each line with what a single request would have
answered, each record checked and recorded in its history as if alone."""

import pytest

from core.api.bulk import BATCH_MAX_RECORDS
from core.bulk import BULK_TRANSITION_MAX_RECORDS
from incidents.models import Casualty, Incident
from tests.api.conftest import _client
from tests.api.helpers import GAO_POINT, MOPTI_POINT, incident_payload
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

PARIS = {"type": "Point", "coordinates": [2.35, 48.85]}


def _incident(client, external_id: str, **overrides) -> dict:
    response = client.post("/api/v1/incidents/", incident_payload(external_id=external_id, **overrides), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _transition(client, action: str, records: list, reason: str | None = None, resource: str = "incidents"):
    body = {"action": action, "records": records}
    if reason is not None:
        body["reason"] = reason
    return client.post(f"/api/v1/{resource}/bulk-transition/", body, format="json")


def _history(client, pk: int) -> list[tuple]:
    events = client.get(f"/api/v1/incidents/{pk}/history/").json()
    return [(event["action"], event["user"], event["reason"]) for event in events]


@pytest.fixture
def submitted(api_alice):
    """Four incidents of partner A submitted in one request, and one left as a draft."""
    made = [_incident(api_alice, f"HI-BULK-{n}") for n in range(5)]
    response = _transition(api_alice, "submit", [{"id": m["id"]} for m in made[:4]])
    assert response.status_code == 200, response.json()
    assert [line["status"] for line in response.json()["results"]] == [200] * 4
    return [api_alice.get(f"/api/v1/incidents/{m['id']}/").json() for m in made]


# --- bulk transitions ---------------------------------------------------------------------------


def test_the_authority_approves_a_selection_one_line_per_record(api_officer, api_alice, submitted):
    a, b, stale, _fourth, draft = submitted
    response = _transition(
        api_officer,
        "approve",
        [
            {"id": a["id"], "version": a["version"]},
            {"id": b["id"], "version": b["version"]},
            # The version read before it was submitted: it changed since.
            {"id": stale["id"], "version": stale["version"] - 1},
            {"id": draft["id"], "version": draft["version"]},
            {"id": 999_999_999, "version": 1},
            {"id": a["id"], "version": a["version"]},
        ],
    )
    assert response.status_code == 200
    assert response.json() == {
        "action": "approve",
        "results": [
            {"id": a["id"], "status": 200, "version": a["version"] + 1},
            {"id": b["id"], "status": 200, "version": b["version"] + 1},
            {"id": stale["id"], "status": 412,
             "detail": "The record was changed since you read it: read it again before you approve it."},
            {"id": draft["id"], "status": 400, "detail": "Cannot approve a record that is draft.",
             "errors": {"status": ["Not possible from status “Draft”."]}},
            {"id": 999_999_999, "status": 404, "detail": "Not found."},
            {"id": a["id"], "status": 409, "detail": "This record is already in this request."},
        ],
    }  # fmt: skip
    statuses = dict(Incident.objects.filter(pk__in=[r["id"] for r in submitted]).values_list("id", "status"))
    assert [statuses[r["id"]] for r in submitted] == ["approved", "approved", "submitted", "submitted", "draft"]
    # Each record's history tells its own approval, by whom; the refused ones have none.
    assert _history(api_officer, a["id"])[-1] == ("approve", "awa", "")
    assert _history(api_officer, b["id"])[-1] == ("approve", "awa", "")
    assert [event[0] for event in _history(api_officer, stale["id"])] == ["create", "submit"]


def test_an_approval_without_the_version_read_is_refused_on_its_line(api_officer, submitted):
    response = _transition(api_officer, "approve", [{"id": submitted[0]["id"]}])
    assert response.json()["results"] == [
        {"id": submitted[0]["id"], "status": 400, "detail": "Say which version you approve.",
         "errors": {"version": ["Give the version you read (its ETag) to approve it."]}},
    ]  # fmt: skip
    assert Incident.objects.get(pk=submitted[0]["id"]).status == "submitted"


def test_rejection_needs_a_reason_which_each_record_keeps(api_officer, submitted):
    ids = [{"id": r["id"]} for r in submitted[:2]]
    without = _transition(api_officer, "reject", ids).json()["results"]
    assert [(line["status"], line["errors"]) for line in without] == [
        (400, {"reason": ["A reason is required to reject."]})
    ] * 2
    done = _transition(api_officer, "reject", ids, reason="Coordonnées à vérifier").json()["results"]
    assert [line["status"] for line in done] == [200, 200]
    for record in submitted[:2]:
        assert Incident.objects.get(pk=record["id"]).status_reason == "Coordonnées à vérifier"
        assert _history(api_officer, record["id"])[-1] == ("reject", "awa", "Coordonnées à vérifier")


def test_policy_refuses_per_line(api_alice, api_charlie, api_officer, submitted):
    theirs = _incident(api_charlie, "DRC-BULK-1")
    api_officer.post(f"/api/v1/incidents/{theirs['id']}/submit/", format="json")
    approved = _transition(api_officer, "approve", [{"id": theirs["id"], "version": theirs["version"] + 1}])
    assert approved.json()["results"][0]["status"] == 200
    charlie_draft = _incident(api_charlie, "DRC-BULK-2")

    # A partner approves nothing; its role says so before anything else.
    refused = _transition(api_alice, "approve", [{"id": submitted[0]["id"], "version": submitted[0]["version"]}])
    assert refused.json()["results"] == [
        {"id": submitted[0]["id"], "status": 403, "detail": "Your role may not approve this record."}
    ]
    # Submitting: its own records only; another's approved record is seen, another's draft is not.
    lines = _transition(
        api_alice, "withdraw", [{"id": submitted[0]["id"]}, {"id": theirs["id"]}, {"id": charlie_draft["id"]}]
    ).json()["results"]
    assert lines == [
        {"id": submitted[0]["id"], "status": 200, "version": submitted[0]["version"] + 1},
        {"id": theirs["id"], "status": 403, "detail": "Only the reporting organisation may withdraw this record."},
        {"id": charlie_draft["id"], "status": 404, "detail": "Not found."},
    ]
    assert Incident.objects.get(pk=submitted[0]["id"]).status == "draft"
    assert Incident.objects.get(pk=theirs["id"]).status == "approved"


def test_the_authority_reopens_a_selection_with_a_reason(api_officer, submitted):
    records = [{"id": r["id"], "version": r["version"]} for r in submitted[:2]]
    assert [line["status"] for line in _transition(api_officer, "approve", records).json()["results"]] == [200, 200]
    lines = _transition(api_officer, "reopen", [{"id": r["id"]} for r in records], reason="Âge à corriger")
    assert [line["status"] for line in lines.json()["results"]] == [200, 200]
    assert _history(api_officer, records[1]["id"])[-1] == ("reopen", "awa", "Âge à corriger")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"action": "destroy", "records": [{"id": 1}]},
         {"action": ["Give one of: submit, withdraw, approve, reject, reopen."]}),
        ({"action": "submit", "records": []},
         {"records": ['Send the records as a list of one or more {"id": ..., "version": ...}.']}),
        ({"action": "submit", "records": [{"id": 1}, {"id": "two"}, {"version": 1}, {"id": 3, "version": True}]},
         {"records": {"1": {"id": ["Give the record's id, a whole number."]},
                      "2": {"id": ["Give the record's id, a whole number."]},
                      "3": {"version": ["Give the version you read, as a whole number."]}}}),
        ({"action": "reject", "records": [{"id": 1}], "reason": 42}, {"reason": ["Give text."]}),
        ([{"action": "submit"}], {"non_field_errors": ['Send an object: {"action": ..., "records": [...]}.']}),
    ],
)  # fmt: skip
def test_a_bulk_transition_that_cannot_be_read_answers_400(api_officer, body, errors):
    response = api_officer.post("/api/v1/incidents/bulk-transition/", body, format="json")
    assert (response.status_code, response.json()) == (400, errors)


def test_a_bulk_transition_is_capped_and_a_capped_one_changes_nothing(api_alice, submitted):
    draft = submitted[4]
    records = [{"id": draft["id"]}] + [{"id": n} for n in range(1, BULK_TRANSITION_MAX_RECORDS + 1)]
    response = _transition(api_alice, "submit", records)
    assert (response.status_code, response.json()) == (
        400, {"records": ["At most 1000 records per request (1001 sent): send the others in another one."]}
    )  # fmt: skip
    assert Incident.objects.get(pk=draft["id"]).status == "draft"


# --- batches -------------------------------------------------------------------------------------


def _batch(client, records, *, upsert=None, resource="incidents"):
    body = {"records": records}
    if upsert is not None:
        body["upsert"] = upsert
    return client.post(f"/api/v1/{resource}/batch/", body, format="json")


def _records() -> list:
    """Three good incidents (one with its casualties), one outside the country, one without an
    external_id, and one that is no object."""
    return [
        incident_payload(external_id="B-1", incident_date="2023"),
        incident_payload(external_id="B-2", location=MOPTI_POINT,
                         casualties=[{"outcome": "killed", "sex": "male", "age": 30},
                                     {"outcome": "injured", "sex": "female", "age": 9}]),
        incident_payload(external_id="B-3", incident_date="2022-06"),
        incident_payload(external_id="B-4", location=PARIS),
        incident_payload(),
        "INC-2024-001",
    ]  # fmt: skip


def test_a_batch_stores_the_good_records_and_names_the_bad_ones(api_alice):
    response = _batch(api_alice, _records())
    assert response.status_code == 200
    stored = {i.external_id: i for i in Incident.objects.filter(external_id__startswith="B-")}
    assert sorted(stored) == ["B-1", "B-2", "B-3"]
    assert response.json() == {
        "results": [
            *[{"index": n, "status": 201, "id": stored[f"B-{n + 1}"].pk, "external_id": f"B-{n + 1}",
               "version": stored[f"B-{n + 1}"].version} for n in range(3)],
            {"index": 3, "status": 400, "external_id": "B-4",
             "errors": {"location": ["The location lies outside the country."]}},
            {"index": 4, "status": 400, "external_id": None,
             "errors": {"external_id": ["Give each record of a batch its own external_id, as text: a batch sent "
                                        "again then creates nothing twice."]}},
            {"index": 5, "status": 400, "errors": {"non_field_errors": ["Send each record as a JSON object."]}},
        ]
    }  # fmt: skip
    # Each record as a single POST makes it: its casualties, its precision, its history.
    assert Casualty.objects.filter(incident=stored["B-2"]).count() == 2
    assert [stored[name].date_precision for name in ("B-1", "B-2", "B-3")] == ["year", "day", "month"]
    for record in stored.values():
        assert (record.status, record.organisation.acronym, record.created_by.username) == ("draft", "HI", "alice")
        assert _history(api_alice, record.pk)[0] == ("create", "alice", "")


def test_a_batch_sent_again_answers_200_for_each_and_creates_nothing(api_alice):
    first = _batch(api_alice, _records()).json()["results"]
    again = _batch(api_alice, _records()).json()["results"]
    assert [line["status"] for line in again] == [200, 200, 200, 400, 400, 400]
    assert [line.get("id") for line in again] == [line.get("id") for line in first]
    assert [line.get("version") for line in again] == [line.get("version") for line in first]
    assert Incident.objects.filter(external_id__startswith="B-").count() == 3
    assert Casualty.objects.filter(incident__external_id="B-2").count() == 2


def test_an_upsert_batch_replaces_what_it_may_and_says_why_not_otherwise(api_alice, api_bob, api_officer):
    a, b, c, d = (_incident(api_alice, f"U-{n}", description="v1") for n in range(4))
    # Bob (same organisation) changed B last; C is submitted, frozen; D is as Alice left it.
    assert api_bob.patch(f"/api/v1/incidents/{b['id']}/", {"description": "Bob"}, format="json",
                         HTTP_IF_MATCH=f'"{b["version"]}"').status_code == 200  # fmt: skip
    assert api_alice.post(f"/api/v1/incidents/{c['id']}/submit/", format="json").status_code == 200
    records = [
        incident_payload(external_id="U-0", description="v2", version=a["version"]),
        incident_payload(external_id="U-1", description="v2"),
        incident_payload(external_id="U-2", description="v2"),
        incident_payload(external_id="U-3", description="v2", version=d["version"] + 7),
        incident_payload(external_id="U-4", description="new"),
    ]
    lines = _batch(api_alice, records, upsert=True).json()["results"]
    new = Incident.objects.get(external_id="U-4")
    assert lines == [
        {"index": 0, "status": 200, "id": a["id"], "external_id": "U-0", "version": a["version"] + 1},
        {"index": 1, "status": 428, "external_id": "U-1",
         "detail": "Someone else may have changed this record: send the ETag you read in an If-Match header."},
        {"index": 2, "status": 403, "external_id": "U-2",
         "detail": "The record is submitted and waits for approval: withdraw it to change it."},
        {"index": 3, "status": 412, "external_id": "U-3",
         "detail": "The record was changed since you read it: fetch it again and reapply your change."},
        {"index": 4, "status": 201, "id": new.pk, "external_id": "U-4", "version": new.version},
    ]  # fmt: skip
    descriptions = dict(Incident.objects.filter(external_id__startswith="U-").values_list("external_id", "description"))
    assert descriptions == {"U-0": "v2", "U-1": "Bob", "U-2": "v1", "U-3": "v1", "U-4": "new"}
    # Each record's history names its own act, though one request wrote them all.
    assert _history(api_alice, a["id"])[-1] == ("update", "alice", "")
    assert _history(api_alice, new.pk) == [("create", "alice", "")]
    # Without upsert, a record already there is left as it is.
    kept = _batch(api_alice, [incident_payload(external_id="U-0", description="v3")]).json()["results"]
    assert kept == [{"index": 0, "status": 200, "id": a["id"], "external_id": "U-0", "version": a["version"] + 1}]
    assert Incident.objects.get(pk=a["id"]).description == "v2"


def test_policy_and_identifiers_refuse_per_line(api_alice, api_charlie):
    deleted = _incident(api_alice, "GONE-1")
    assert api_alice.delete(f"/api/v1/incidents/{deleted['id']}/").status_code == 204
    lines = _batch(
        api_alice,
        [
            incident_payload(external_id="P-1", organisation="DRC"),
            incident_payload(external_id="P-2"),
            incident_payload(external_id="P-2", location=GAO_POINT),
            incident_payload(external_id="GONE-1"),
        ],
    ).json()["results"]
    p2 = Incident.objects.get(external_id="P-2")
    assert lines == [
        {"index": 0, "status": 403, "external_id": "P-1", "detail": "You report for your own organisation only."},
        {"index": 1, "status": 201, "id": p2.pk, "external_id": "P-2", "version": p2.version},
        {"index": 2, "status": 409, "external_id": "P-2",
         "detail": "This external_id is already used by record 1 of this batch."},
        {"index": 3, "status": 409, "external_id": "GONE-1",
         "detail": "A deleted or merged record holds this external_id: restore it, or send the record under "
                   "another one."},
    ]  # fmt: skip
    # Another organisation may use the same identifiers.
    theirs = _batch(api_charlie, [incident_payload(external_id="P-2")]).json()["results"]
    assert [line["status"] for line in theirs] == [201]


def test_the_authority_sends_a_batch_for_named_organisations(api_officer):
    lines = _batch(api_officer, [incident_payload(external_id="A-1", organisation="HI"),
                                 incident_payload(external_id="A-1", organisation="DRC"),
                                 incident_payload(external_id="A-2")]).json()["results"]  # fmt: skip
    assert [line["status"] for line in lines] == [201, 201, 201]
    owners = Incident.objects.filter(external_id__in=["A-1", "A-2"]).values_list("organisation__acronym", flat=True)
    assert sorted(owners) == ["CNLPAL", "DRC", "HI"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"records": ["Send the records as a list of one or more objects."]}),
        ({"records": []}, {"records": ["Send the records as a list of one or more objects."]}),
        ({"records": {"0": {}}}, {"records": ["Send the records as a list of one or more objects."]}),
        ({"records": [{}], "upsert": "yes"}, {"upsert": ["Give true or false."]}),
        ([incident_payload(external_id="L-1")], {"non_field_errors": ['Send an object: {"records": [...]}.']}),
    ],
)
def test_a_batch_that_cannot_be_read_answers_400(api_alice, body, errors):
    response = api_alice.post("/api/v1/incidents/batch/", body, format="json")
    assert (response.status_code, response.json()) == (400, errors)
    assert not Incident.objects.exists()


def test_a_batch_is_capped_and_a_capped_one_stores_nothing(api_alice):
    records = [incident_payload(external_id=f"CAP-{n}") for n in range(BATCH_MAX_RECORDS + 1)]
    response = _batch(api_alice, records)
    assert (response.status_code, response.json()) == (
        400, {"records": ["At most 1000 records per request (1001 sent): send the others in another one."]}
    )  # fmt: skip
    assert not Incident.objects.exists()


def test_batches_of_other_record_types(api_alice):
    session = {"external_id": "RE-B-1", "session_date": "2024-03-10", "method": "direct", "target_group": "school",
               "location": MOPTI_POINT, "girls": 20, "boys": 25}  # fmt: skip
    lines = _batch(api_alice, [session, {**session, "external_id": "RE-B-2", "girls": -1}],
                   resource="risk-education-sessions").json()["results"]  # fmt: skip
    assert [(line["status"], line.get("errors")) for line in lines] == [
        (201, None), (400, {"girls": ["Ensure this value is greater than or equal to 0."]})
    ]  # fmt: skip


def test_casualties_have_no_batch_nor_bulk_transition_of_their_own(api_alice):
    # They come with their incident and follow its workflow.
    assert api_alice.post("/api/v1/casualties/batch/", {"records": [{}]}, format="json").status_code == 405
    assert api_alice.post("/api/v1/casualties/bulk-transition/", {}, format="json").status_code == 405


def test_a_batch_counts_as_one_request_for_throttling(api_alice, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"})
    records = [incident_payload(external_id=f"T-{n}") for n in range(20)]
    assert [line["status"] for line in _batch(api_alice, records).json()["results"]] == [201] * 20
    assert api_alice.get("/api/v1/incidents/?page_size=1").status_code == 200
    assert api_alice.get("/api/v1/incidents/?page_size=1").status_code == 429


# --- at the same instant -------------------------------------------------------------------------


@pytest.fixture
def country_again(transactional_db):
    """Transactional tests may start from an emptied database: the country, loaded again first."""
    from django.core.management import call_command

    call_command("load_reference_data", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_batches_and_single_posts_sent_at_once_store_each_record_once(country_again, django_user_model):
    from accounts import roles
    from reference.models import Organisation
    from tests.people import member

    client = _client(member(django_user_model, "alice", Organisation.objects.get(acronym="HI"),
                             roles.PARTNER_DATA_MANAGER))  # fmt: skip
    records = [incident_payload(external_id=f"RACE-{n}") for n in range(5)]
    senders = [
        lambda: client.post("/api/v1/incidents/batch/", {"records": records}, format="json"),
        lambda: client.post("/api/v1/incidents/batch/", {"records": records[::-1]}, format="json"),
        lambda: client.post("/api/v1/incidents/", records[2], format="json"),
        lambda: client.post("/api/v1/incidents/batch/", {"records": records, "upsert": True}, format="json"),
    ]
    answers = at_once(*senders, timeout=120)
    codes = [getattr(a, "status_code", a) for a in answers]
    assert codes[:2] + codes[3:] == [200, 200, 200], answers
    assert codes[2] in (200, 201), answers
    statuses = {f"RACE-{n}": [] for n in range(5)}
    for answer in (answers[0], answers[1], answers[3]):
        for line in answer.json()["results"]:
            statuses[line["external_id"]].append(line["status"])
    statuses["RACE-2"].append(answers[2].status_code)
    # Each identifier was created once, by whichever came first; the others found it.
    assert all(codes.count(201) == 1 and set(codes) <= {200, 201} for codes in statuses.values()), statuses
    assert Incident.objects.filter(external_id__startswith="RACE-").count() == 5


def test_a_record_refused_by_its_casualty_is_named_as_in_a_single_post(api_alice):
    people = [{"outcome": "injured", "sex": "male", "age": 30}, {"outcome": "injured", "sex": "male", "age": 140}]
    records = [incident_payload(external_id="N-1", casualties=people), incident_payload(external_id="N-2")]
    lines = _batch(api_alice, records).json()["results"]
    single = api_alice.post("/api/v1/incidents/", records[0], format="json")
    assert single.status_code == 400
    assert lines[0] == {"index": 0, "status": 400, "external_id": "N-1", "errors": single.json()}
    assert single.json() == {"casualties": {"1": {"age": ["Ensure this value is less than or equal to 120."]}}}
    assert lines[1]["status"] == 201
    assert not Casualty.objects.filter(incident__external_id="N-1").exists()
