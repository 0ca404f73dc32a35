"""The workflow's effects: what counts, what history keeps, what waits in the queue."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from hazards.models import HazardArea
from incidents.models import CasualtyIdentity, Incident
from tests.api.helpers import hazard_payload, incident_payload

pytestmark = pytest.mark.django_db


def _stats(client) -> int:
    return client.get("/api/v1/statistics/casualties/?group_by=outcome").json()["total"]


def test_only_approved_records_count_and_a_rejected_one_does_not(api_alice, api_officer, api_charlie):
    incident = api_alice.post(
        "/api/v1/incidents/", incident_payload(casualties=[{"outcome": "injured"}, {"outcome": "killed"}]),
        format="json",
    ).json()  # fmt: skip
    url = f"/api/v1/incidents/{incident['id']}"
    assert api_alice.post(f"{url}/submit/").status_code == 200
    assert _stats(api_charlie) == 0
    response = api_officer.post(f"{url}/reject/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"reason": ["A reason is required to reject."]}

    rejected = api_officer.post(f"{url}/reject/", {"reason": "Date incohérente avec la source"}, format="json")
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["version"] == incident["version"] + 2
    assert _stats(api_charlie) == _stats(api_officer) == 0

    # The reporter corrects (the officer changed it last: If-Match), submits again; approved, it counts.
    etag = f'"{rejected.json()["version"]}"'
    assert (
        api_alice.patch(f"{url}/", {"incident_date": "2024-03-14"}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )
    submitted = api_alice.post(f"{url}/submit/").json()
    assert submitted["status"] == "submitted"
    # The officer approves the version he read.
    approved = api_officer.post(f"{url}/approve/", {"version": submitted["version"]}, format="json").json()
    assert approved["status"] == "approved"
    assert _stats(api_charlie) == 2

    # Reopened for correction: it leaves the figures until approved again.
    reopened = api_officer.post(f"{url}/reopen/", {"reason": "Victime comptée deux fois"}, format="json").json()
    assert (reopened["status"], reopened["status_reason"]) == ("submitted", "Victime comptée deux fois")
    assert _stats(api_charlie) == 0


def test_transitions_follow_the_workflow(api_alice, api_officer):
    incident = api_alice.post("/api/v1/incidents/", incident_payload(), format="json").json()
    url = f"/api/v1/incidents/{incident['id']}"
    response = api_officer.post(f"{url}/approve/")
    assert response.status_code == 400
    assert response.json() == {"status": ["Not possible from status “Draft”."]}
    assert api_alice.post(f"{url}/submit/").status_code == 200
    assert api_alice.post(f"{url}/submit/").status_code == 400
    # Submitted: frozen for the reporter until withdrawn, so that the officer approves what he read.
    frozen = api_alice.patch(f"{url}/", {"description": "x"}, format="json")
    assert frozen.status_code == 403
    assert "withdraw" in frozen.json()["detail"]
    assert api_alice.post(f"{url}/withdraw/").json()["status"] == "draft"
    assert api_alice.patch(f"{url}/", {"description": "x"}, format="json").status_code == 200
    read = api_alice.post(f"{url}/submit/").json()
    # Approving needs the version read; a stale one is refused.
    assert api_officer.post(f"{url}/approve/").json() == {
        "version": ["Give the version you read (its ETag) to approve it."]
    }
    stale = api_officer.post(f"{url}/approve/", {"version": read["version"] - 1}, format="json")
    assert stale.status_code == 412
    approved = api_officer.post(f"{url}/approve/", HTTP_IF_MATCH=f'"{read["version"]}"')
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert api_alice.patch(f"{url}/", {"description": "y"}, format="json").status_code == 403


def test_history_records_every_change_and_survives_a_delete(api_alice, api_officer):
    created = api_alice.post("/api/v1/hazard-areas/", hazard_payload(), format="json").json()
    url = f"/api/v1/hazard-areas/{created['id']}"
    api_alice.patch(f"{url}/", {"beneficiaries": 40}, format="json")
    api_alice.post(f"{url}/submit/")
    rejected = api_officer.post(f"{url}/reject/", {"reason": "Polygone trop grand"}, format="json").json()
    assert api_alice.delete(f"{url}/", HTTP_IF_MATCH=f'"{rejected["version"]}"').status_code == 204

    # Gone from lists and reads, but not from the database nor from its history.
    assert api_alice.get(f"{url}/").status_code == 404
    assert created["id"] not in [r["id"] for r in api_officer.get("/api/v1/hazard-areas/").json()["results"]]
    assert HazardArea.all_objects.get(pk=created["id"]).deleted_at is not None
    history = api_officer.get(f"{url}/history/").json()
    assert [(e["action"], e["user"]) for e in history] == [
        ("create", "alice"),
        ("update", "alice"),
        ("submit", "alice"),
        ("reject", "awa"),
        ("delete", "alice"),
    ]
    assert history[1]["changes"]["beneficiaries"] == [0, 40]
    assert history[3]["reason"] == "Polygone trop grand"
    assert history[3]["changes"]["status"] == ["submitted", "rejected"]

    restored = api_alice.post(f"{url}/restore/")
    assert restored.status_code == 200
    assert restored.json()["beneficiaries"] == 40
    assert api_alice.get(f"{url}/").status_code == 200
    assert api_officer.get(f"{url}/history/").json()[-1]["action"] == "restore"


def test_another_partner_cannot_read_a_drafts_history_or_restore_it(api_alice, api_charlie):
    created = api_alice.post("/api/v1/hazard-areas/", hazard_payload(), format="json").json()
    assert api_charlie.get(f"/api/v1/hazard-areas/{created['id']}/history/").status_code == 404
    api_alice.delete(f"/api/v1/hazard-areas/{created['id']}/")
    assert api_charlie.post(f"/api/v1/hazard-areas/{created['id']}/restore/").status_code == 404


def test_approval_queue_per_role(api_alice, api_officer, api_charlie):
    mine = api_alice.post("/api/v1/incidents/", incident_payload(), format="json").json()
    other = api_alice.post("/api/v1/incidents/", incident_payload(), format="json").json()
    api_alice.post(f"/api/v1/incidents/{mine['id']}/submit/")

    queue = {q["resource"]: q for q in api_officer.get("/api/v1/approval-queue/").json()}
    assert [r["id"] for r in queue["incidents"]["records"]] == [mine["id"]]
    assert queue["incidents"]["count"] == 1
    # The reporter's queue: what waits for it (drafts and rejected records).
    partner_queue = {q["resource"]: q for q in api_alice.get("/api/v1/approval-queue/").json()}
    assert [r["id"] for r in partner_queue["incidents"]["records"]] == [other["id"]]
    assert {q["resource"]: q["count"] for q in api_charlie.get("/api/v1/approval-queue/").json()}["incidents"] == 0


def test_authority_staff_limited_to_a_region_see_only_it(api_alice, officer_user):
    from rest_framework.test import APIClient

    from reference.models import AdministrativeArea

    in_gao = api_alice.post("/api/v1/incidents/", incident_payload(), format="json").json()
    in_mopti = api_alice.post(
        "/api/v1/incidents/", incident_payload(location={"type": "Point", "coordinates": [-4.19, 14.49]}),
        format="json",
    ).json()  # fmt: skip
    officer_user.profile.regions.add(AdministrativeArea.objects.get(pcode="ML05", valid_to__isnull=True))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(officer_user)
    ids = [r["id"] for r in client.get("/api/v1/incidents/").json()["results"]]
    assert ids == [in_mopti["id"]]
    assert client.get(f"/api/v1/incidents/{in_gao['id']}/").status_code == 404


def test_old_identities_are_pseudonymised(officer, partner_a):
    from incidents.services import incident_create
    from tests.geo import GAO, point

    def report(day):
        return incident_create(
            user=officer, organisation=partner_a,
            data={"incident_class": "mine", "incident_date": day, "location": point(GAO),
                  "device_category_reported": "ap_mine"},
            casualties=[{"outcome": "injured", "identity": {"full_name": "Hawa Diarra", "phone": "+223 1",
                                                             "date_of_birth": datetime.date(1990, 6, 2)}}],
        )  # fmt: skip

    old, recent = report(datetime.date(2012, 5, 1)), report(datetime.date(2024, 5, 1))
    out = StringIO()
    call_command("pseudonymise_identities", "--years", "10", stdout=out)
    assert out.getvalue().startswith("1 identities")
    scrubbed = CasualtyIdentity.objects.get(casualty__incident=old)
    assert scrubbed.full_name.startswith("PSEUDO-")
    assert len(scrubbed.full_name) == 19
    assert (scrubbed.phone, scrubbed.date_of_birth) == ("", datetime.date(1990, 1, 1))
    assert scrubbed.pseudonymised_at is not None
    assert CasualtyIdentity.objects.get(casualty__incident=recent).full_name == "Hawa Diarra"
    # The same casualty always gets the same pseudonym; a second run changes nothing.
    call_command("pseudonymise_identities", "--years", "10", stdout=StringIO())
    assert CasualtyIdentity.objects.get(casualty__incident=old).full_name == scrubbed.full_name
    assert Incident.objects.count() == 2


def test_the_queue_page_lists_what_waits_with_links(client, api_alice, officer_user):
    incident = api_alice.post("/api/v1/incidents/", incident_payload(), format="json").json()
    api_alice.post(f"/api/v1/incidents/{incident['id']}/submit/")
    client.force_login(officer_user)
    response = client.get("/queue/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/incidents/{incident["id"]}/"' in html
    assert incident["reference"] in html
    assert "Soumis" in html
    assert client.get("/queue/").status_code == 200
    client.logout()
    assert client.get("/queue/").status_code == 302


def test_the_admin_record_page_approves_and_rejects_with_a_reason(client, api_alice, officer_user):
    officer_user.is_staff = True
    officer_user.save()
    incident = api_alice.post("/api/v1/incidents/", incident_payload(), format="json").json()
    api_alice.post(f"/api/v1/incidents/{incident['id']}/submit/")
    client.force_login(officer_user)
    page = f"/admin/incidents/incident/{incident['id']}/change/"
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="action" value="approve"' in html
    assert 'name="action" value="submit"' not in html

    transition = f"/admin/incidents/incident/{incident['id']}/transition/"
    refused = client.post(
        transition, {"action": "reject", "workflow_reason": ""}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "A reason is required to reject." in refused.content.decode()
    client.post(transition, {"action": "reject", "workflow_reason": "Source non fiable"})
    rejected = Incident.objects.get(pk=incident["id"])
    assert (rejected.status, rejected.status_reason) == ("rejected", "Source non fiable")

    history = client.get(f"/admin/incidents/incident/{incident['id']}/history/", HTTP_ACCEPT_LANGUAGE="en")
    assert history.status_code == 200
    assert "Source non fiable" in history.content.decode()
    assert "awa" in history.content.decode()
    assert "<td>rejected</td>" in history.content.decode()


@pytest.mark.celery_worker
def test_pseudonymisation_runs_nightly_on_a_worker(celery_worker):
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    from incidents.tasks import pseudonymise_identities_task

    # Transactional tests empty the tables the migration filled: run its step again (idempotent).
    importlib.import_module("incidents.migrations.0004_pseudonymisation_schedule").schedule(apps, None)
    task = PeriodicTask.objects.get(name="Pseudonymise old casualty identities")
    assert (task.task, task.crontab.hour, task.crontab.minute) == ("incidents.pseudonymise_identities", "2", "30")
    assert pseudonymise_identities_task.delay().get(timeout=20) == 0


def test_a_reason_longer_than_its_column_is_a_field_error_and_changes_nothing(api_alice, api_officer):
    incident = api_alice.post("/api/v1/incidents/", incident_payload(), format="json").json()
    url = f"/api/v1/incidents/{incident['id']}"
    submitted = api_alice.post(f"{url}/submit/").json()
    response = api_officer.post(f"{url}/reject/", {"reason": "x" * 501}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    after = api_officer.get(f"{url}/").json()
    assert (after["status"], after["version"]) == ("submitted", submitted["version"])
