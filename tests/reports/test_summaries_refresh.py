"""Summary tables refreshed: by a worker once an approval commits, and safely twice at once."""

import datetime
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from demo.services import demo_data_delete
from reports import summaries
from tests.people import member


def _table_rows(name: str) -> list[tuple]:
    return sorted(summaries.SUMMARIES[name].table.objects.values_list(), key=lambda row: row[1:])


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_leave_one_complete_table(country_again):
    call_command("generate_demo_data", "--scale", "demo", "--seed", "2", verbosity=0)
    try:
        summaries.refresh("casualties")
        expected = [row[1:] for row in _table_rows("casualties")]
        assert expected
        errors = []

        def run():
            try:
                summaries.refresh("casualties")
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert [row[1:] for row in _table_rows("casualties")] == expected
        # A refresh asked before the last one began has nothing to do.
        assert summaries.refresh("casualties", requested_at=timezone.now() - datetime.timedelta(minutes=1)) is None
    finally:
        demo_data_delete()


@pytest.fixture
def country_again(transactional_db):
    """Transactional tests may start from an emptied database: the country, loaded again first."""
    call_command("load_reference_data", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_an_approval_refreshes_the_summaries_on_a_worker_once_committed(country_again, celery_worker):
    from tests.api.helpers import MOPTI_POINT, incident_payload

    call_command("generate_demo_data", "--scale", "demo", "--seed", "4", verbosity=0)
    try:
        for name in summaries.SUMMARIES:
            summaries.refresh(name)
        officer = _officer()
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(officer)
        before = client.get("/api/v1/statistics/incidents/", {"group_by": "year"}).json()
        assert before["computed_from"] == "summary"
        created = client.post(
            "/api/v1/incidents/", incident_payload(organisation="CNLPAL", point=MOPTI_POINT), format="json"
        )
        assert created.status_code == 201, created.json()
        incident = created.json()
        for action in ("submit", "approve"):
            response = client.post(f"/api/v1/incidents/{incident['id']}/{action}/", {"version": incident["version"]})
            assert response.status_code == 200, response.json()
            incident = response.json()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            after = client.get("/api/v1/statistics/incidents/", {"group_by": "year"}).json()
            if after["up_to_date"] and after["total"] == before["total"] + 1:
                break
            time.sleep(0.2)
        assert after["computed_from"] == "summary"
        assert after["total"] == before["total"] + 1
        assert after["up_to_date"] is True
        assert datetime.datetime.fromisoformat(after["as_of"]) > datetime.datetime.fromisoformat(before["as_of"])
    finally:
        demo_data_delete()


def _officer():
    from django.contrib.auth import get_user_model

    from reference.models import Organisation

    return member(get_user_model(), "awa.refresh", Organisation.objects.get(acronym="CNLPAL"),
                  "information_management_officer")  # fmt: skip
