"""A field client retrying after a dropped connection sends the same record several times at
once: on real PostgreSQL, the first creates (201), the others answer 200 with the same record;
never a 5xx, never a constraint's name, never a false 409."""

import threading

import pytest

from education.models import RiskEducationSession
from hazards.models import HazardArea
from incidents.models import Casualty, Incident
from tests.api.conftest import _client
from tests.api.helpers import MOPTI_POINT, hazard_payload, incident_payload
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 6


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    # Transactional tests start from an emptied database: load the country again.
    from django.core.management import call_command

    call_command("load_reference_data", verbosity=0)


def _all_at_once(send) -> list:
    """`send()` by CLIENTS clients at the same instant."""
    return at_once(*[send] * CLIENTS)


def _summary(answers) -> list:
    return sorted(a.status_code if hasattr(a, "status_code") else repr(a) for a in answers)


def test_identical_posts_at_once_create_one_record(alice):
    client = _client(alice)
    payload = incident_payload(external_id="HI-INC-RETRY-1")
    payload["casualties"] = [{"outcome": "injured", "sex": "female", "age": 12}]
    answers = _all_at_once(lambda: client.post("/api/v1/incidents/", payload, format="json"))

    assert _summary(answers) == [200] * (CLIENTS - 1) + [201]
    assert {a.json()["id"] for a in answers} == {Incident.objects.get(external_id="HI-INC-RETRY-1").pk}
    assert all(a["Content-Type"] == "application/json" for a in answers)
    assert Incident.objects.filter(external_id="HI-INC-RETRY-1").count() == 1
    # The casualties came once, with the one record.
    assert Casualty.objects.filter(incident__external_id="HI-INC-RETRY-1").count() == 1


def test_identical_upserts_at_once_create_one_record_and_update_it(alice):
    client = _client(alice)
    url = "/api/v1/risk-education-sessions/external/HI-RE-RETRY-1/"
    session = {"session_date": "2024-03-10", "location": MOPTI_POINT, "method": "direct", "target_group": "school",
               "girls": 20, "boys": 25}  # fmt: skip
    answers = _all_at_once(lambda: client.put(url, session, format="json"))

    assert _summary(answers) == [200] * (CLIENTS - 1) + [201]
    record = RiskEducationSession.objects.get(external_id="HI-RE-RETRY-1")
    assert {a.json()["id"] for a in answers} == {record.pk}
    assert (record.girls, record.boys) == (20, 25)
    assert RiskEducationSession.objects.filter(external_id="HI-RE-RETRY-1").count() == 1


def test_posts_of_two_partners_with_the_same_identifier_at_once_stay_apart(alice, charlie):
    alice_client, charlie_client = _client(alice), _client(charlie)
    payload = hazard_payload(external_id="SHARED-RETRY")
    turn = iter(range(CLIENTS))
    lock = threading.Lock()

    def send():
        with lock:
            mine = next(turn) % 2
        return (alice_client if mine else charlie_client).post("/api/v1/hazard-areas/", payload, format="json")

    answers = _all_at_once(send)
    assert _summary(answers) == [200] * (CLIENTS - 2) + [201, 201]
    assert sorted(
        HazardArea.objects.filter(external_id="SHARED-RETRY").values_list("organisation__acronym", flat=True)
    ) == [
        "DRC",
        "HI",
    ]
