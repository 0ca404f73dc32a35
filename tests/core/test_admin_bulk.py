"""The admin's "Approve the selected records" and "Reject the selected records": a page shows each
record with its version, then each one goes through the same service as the API's bulk-transition
(core.bulk.records_transition), with a message per refused record and a history per record."""

import pytest
from django.contrib.messages import get_messages
from pghistory.models import Events

from core.workflow import record_transition
from incidents.models import Incident
from incidents.services import incident_create, incident_update
from tests.geo import GAO, point

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/incidents/incident/"


def _incident(user, organisation, past) -> Incident:
    return incident_create(
        user=user,
        organisation=organisation,
        data={"incident_class": "improvised", "incident_date": past, "location": point(GAO),
              "device_category_reported": "uxo"},
    )  # fmt: skip


@pytest.fixture
def selection(partner_user, partner_a, past):
    """Three of partner A's incidents submitted for approval, and one draft."""
    made = [_incident(partner_user, partner_a, past) for _ in range(4)]
    for incident in made[:3]:
        record_transition(record=incident, user=partner_user, action="submit")
    return [Incident.objects.get(pk=incident.pk) for incident in made]


def _messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def _actions(client) -> list[str]:
    return [name for name, _label in client.get(CHANGELIST).context["action_form"].fields["action"].choices]


def _history_actions(record) -> list[tuple]:
    events = Events.objects.tracks(record).order_by("pgh_created_at", "pgh_id")
    return [(e.pgh_context["action"], e.pgh_context["username"]) for e in events if e.pgh_label == "update"]


def test_approval_of_a_selection_shows_the_versions_then_approves_each(client, officer, partner_user, selection):
    client.force_login(officer)
    assert {"approve_selected", "reject_selected"} <= set(_actions(client))
    ids = [str(record.pk) for record in selection]
    page = client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": ids, "index": "0"},
                       HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert page.status_code == 200
    html = page.content.decode()
    for record in selection:
        assert f'name="version_{record.pk}" value="{record.version}"' in html
        assert record.reference in html

    # The reporter withdraws and resubmits the third record after the page was shown.
    changed = selection[2]
    record_transition(record=changed, user=partner_user, action="withdraw")
    incident_update(incident=Incident.objects.get(pk=changed.pk), user=partner_user, data={"description": "Corrigé"})
    record_transition(record=Incident.objects.get(pk=changed.pk), user=partner_user, action="submit")

    posted = {"action": "approve_selected", "_selected_action": ids, "post": "yes",
              **{f"version_{record.pk}": str(record.version) for record in selection}}  # fmt: skip
    response = client.post(CHANGELIST, posted, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    a, b, _c, draft = selection
    assert _messages(response) == [
        ("success", f"Done: approve, 2 records: {a.reference}, {b.reference}."),
        ("error", f"{changed.reference}: Someone changed this record since you opened it: read it again, then "
                  "approve it."),
        ("error", f"{draft.reference}: Cannot approve a record that is draft."),
    ]  # fmt: skip
    statuses = dict(Incident.objects.values_list("pk", "status"))
    assert [statuses[record.pk] for record in selection] == ["approved", "approved", "submitted", "draft"]
    # Each approval in its record's history, by the officer.
    assert _history_actions(a)[-1] == ("approve", officer.username)
    assert _history_actions(b)[-1] == ("approve", officer.username)
    assert _history_actions(changed)[-1] == ("submit", partner_user.username)


def test_an_approval_needs_the_versions_of_the_page(client, officer, selection):
    client.force_login(officer)
    posted = {"action": "approve_selected", "_selected_action": [str(selection[0].pk)], "post": "yes"}
    response = client.post(CHANGELIST, posted, HTTP_ACCEPT_LANGUAGE="en")
    assert _messages(response) == [("error", f"{selection[0].reference}: Say which version you approve.")]
    assert Incident.objects.get(pk=selection[0].pk).status == "submitted"


def test_rejection_asks_for_a_reason_then_rejects_each_with_it(client, officer, selection):
    client.force_login(officer)
    ids = [str(record.pk) for record in selection[:2]]
    posted = {"action": "reject_selected", "_selected_action": ids, "post": "yes", "workflow_reason": "  "}
    again = client.post(CHANGELIST, posted, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200
    assert "A reason is required to reject." in again.content.decode()
    assert set(Incident.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"submitted"}

    response = client.post(CHANGELIST, {**posted, "workflow_reason": "Lieu imprécis"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    for record in Incident.objects.filter(pk__in=ids):
        assert (record.status, record.status_reason) == ("rejected", "Lieu imprécis")
        event = Events.objects.tracks(record).filter(pgh_label="update").order_by("pgh_id").last()
        assert (event.pgh_context["action"], event.pgh_context["reason"]) == ("reject", "Lieu imprécis")


def test_partners_are_not_offered_approval_and_a_forged_one_changes_nothing(client, partner_user, selection):
    client.force_login(partner_user)
    assert not {"approve_selected", "reject_selected"} & set(_actions(client))
    posted = {"action": "approve_selected", "_selected_action": [str(selection[0].pk)], "post": "yes",
              f"version_{selection[0].pk}": str(selection[0].version)}  # fmt: skip
    response = client.post(CHANGELIST, posted, HTTP_ACCEPT_LANGUAGE="en")
    # Not an action of this user's list: Django runs nothing.
    assert (response.status_code, _messages(response)) == (302, [("warning", "No action selected.")])
    assert Incident.objects.get(pk=selection[0].pk).status == "submitted"


def test_parts_of_a_report_have_no_approval_of_their_own(client, officer):
    client.force_login(officer)
    actions = [name for name, _label in client.get("/admin/incidents/casualty/").context["action_form"]
               .fields["action"].choices]  # fmt: skip
    assert "approve_selected" not in actions
