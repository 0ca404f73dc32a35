"""Who reads and writes what: every denial is 401, 403 or 404, never a leak."""

import pytest

from hazards.models import HazardArea
from tests.api.helpers import approve, hazard_payload

pytestmark = pytest.mark.django_db

RESOURCES = [
    "admin-areas", "localities", "organisations", "ordnance-types", "hazard-areas", "land-release-activities",
    "incidents", "casualties", "risk-education-sessions", "survivors", "assistance-services", "community-reports",
]  # fmt: skip


@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_gets_401_on_every_resource(api_anonymous, resource):
    response = api_anonymous.get(f"/api/v1/{resource}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_anonymous_reads_the_schema_and_docs(api_anonymous):
    assert api_anonymous.get("/api/schema/").status_code == 200
    assert api_anonymous.get("/api/docs/").status_code == 200


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_partner_lists_every_resource(api_alice, resource):
    response = api_alice.get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


@pytest.fixture
def alices_draft(api_alice):
    response = api_alice.post("/api/v1/hazard-areas/", hazard_payload(external_id="HI-HA-1"), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_partner_creates_for_its_own_organisation(alices_draft):
    assert alices_draft["organisation"] == "HI"
    assert alices_draft["status"] == "draft"
    assert alices_draft["admin_area"] == "ML05"
    assert alices_draft["reference"].startswith("ML-HA-")


def test_another_partner_cannot_see_a_draft(api_charlie, alices_draft):
    assert api_charlie.get(f"/api/v1/hazard-areas/{alices_draft['id']}/").status_code == 404
    listed = api_charlie.get("/api/v1/hazard-areas/").json()
    assert alices_draft["id"] not in [r["id"] for r in listed["results"]]


def test_another_partner_cannot_change_or_delete_a_draft(api_charlie, alices_draft):
    url = f"/api/v1/hazard-areas/{alices_draft['id']}/"
    assert api_charlie.patch(url, {"beneficiaries": 1}, format="json").status_code == 404
    assert api_charlie.delete(url).status_code == 404
    assert HazardArea.objects.get(pk=alices_draft["id"]).beneficiaries == 0


def test_approved_data_is_national_but_only_its_reporter_edits_before_approval(
    api_alice, api_charlie, api_officer, alices_draft
):
    url = f"/api/v1/hazard-areas/{alices_draft['id']}/"
    approve(HazardArea, alices_draft["id"])
    assert api_charlie.get(url).status_code == 200
    response = api_charlie.patch(url, {"beneficiaries": 1}, format="json")
    assert response.status_code == 403
    response = api_alice.patch(url, {"beneficiaries": 1}, format="json", HTTP_IF_MATCH=f'"{alices_draft["version"]}"')
    assert response.status_code == 403
    assert response.json() == {
        "detail": "The record is approved: only the authority changes it now (ask for it to be reopened)."
    }
    assert api_alice.delete(url).status_code == 403


def test_the_authority_sees_every_draft(api_officer, alices_draft):
    response = api_officer.get(f"/api/v1/hazard-areas/{alices_draft['id']}/")
    assert response.status_code == 200
    assert response.json()["organisation"] == "HI"


def test_a_partner_reports_only_for_its_own_organisation(api_alice):
    response = api_alice.post("/api/v1/hazard-areas/", hazard_payload(organisation="DRC"), format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "You report for your own organisation only."}
    assert not HazardArea.objects.exists()


def test_the_authority_reports_for_a_partner(api_officer):
    response = api_officer.post("/api/v1/hazard-areas/", hazard_payload(organisation="DRC"), format="json")
    assert response.status_code == 201
    assert response.json()["organisation"] == "DRC"


def test_an_account_without_organisation_cannot_write(django_user_model):
    from django.contrib.auth.models import Group
    from rest_framework.test import APIClient

    user = django_user_model.objects.create_user("nobody", password="pw-nobody-1")
    # The role allows writing, but no organisation to report for.
    user.groups.add(Group.objects.get(name="partner_data_manager"))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    response = client.post("/api/v1/hazard-areas/", hazard_payload(), format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your account reports for no organisation."}


def test_a_partner_deletes_its_own_draft(api_alice, alices_draft):
    response = api_alice.delete(f"/api/v1/hazard-areas/{alices_draft['id']}/")
    assert response.status_code == 204
    assert not HazardArea.objects.filter(pk=alices_draft["id"]).exists()


def test_reference_data_is_read_only(api_officer):
    assert api_officer.post("/api/v1/organisations/", {"acronym": "X"}, format="json").status_code == 405
    areas = api_officer.get("/api/v1/admin-areas/?level=1&current=true").json()
    assert areas["count"] == 11
