"""The dashboard keeps its figures while nothing changes, and shows a write through the services
at once."""

import csv
import io

import pytest
from django.test import override_settings

from core.workflow import record_transition
from incidents.models import Incident
from incidents.services import incident_create
from tests.geo import GAO, point

pytestmark = pytest.mark.django_db


def _casualties_in_march_2024(client) -> int:
    answer = client.get("/dashboard/casualties-by-month.csv?admin_area=ML07")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))[1:]
    return sum(int(row[-1]) for row in rows if row[1] == "2024-03")


@pytest.fixture
def submitted(partner_user, partner_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_create(
            user=partner_user,
            organisation=partner_a,
            data={"incident_class": "mine", "incident_date": "2024-03-15", "location": point(GAO),
                  "device_category_reported": "ap_mine"},
            casualties=[{"outcome": "injured", "age": 9}, {"outcome": "killed", "age": 40}],
        )  # fmt: skip
        return record_transition(record=incident, user=partner_user, action="submit")


def test_an_approval_shows_on_the_dashboard_at_once(client, officer, submitted, django_capture_on_commit_callbacks):
    client.force_login(officer)
    before = _casualties_in_march_2024(client)

    with django_capture_on_commit_callbacks(execute=True):
        record_transition(record=submitted, user=officer, action="approve", version=submitted.version)

    assert _casualties_in_march_2024(client) == before + 2


def test_figures_are_kept_until_a_write_through_the_services(client, officer, submitted):
    client.force_login(officer)
    before = _casualties_in_march_2024(client)
    # A change made around the services (a bulk load) waits for the figures' expiry.
    Incident.objects.filter(pk=submitted.pk).update(status="approved")

    assert _casualties_in_march_2024(client) == before
    with override_settings(DASHBOARD_CACHE_SECONDS=0):
        assert _casualties_in_march_2024(client) == before + 2
