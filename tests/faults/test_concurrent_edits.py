"""Two officers act on the same record at the same instant, each on its own connection to the real
PostgreSQL: one wins, the other is refused as having read a version that changed (412 through the
API, 409 on the pages and in the admin), and nothing of the winner's change is lost. Through the
API, the record pages and the admin; each race run several times."""

from functools import partial

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts import roles
from core.models import RecordStatus
from core.workflow import record_transition
from incidents.models import Incident, IncidentEvent
from incidents.services import incident_create
from reference.models import Organisation
from tests.api.conftest import _client
from tests.concurrency import at_once
from tests.geo import GAO, point
from tests.people import member
from tests.workflow.test_permission_matrix_admin import _form_data

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 4
STALE = "The record was changed since you read it: fetch it again and reapply your change."


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    # Transactional tests start from an emptied database: load the country again.
    from django.core.management import call_command

    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def awa(django_user_model):
    return member(django_user_model, "awa", Organisation.objects.get(acronym="CNLPAL"), roles.IM_OFFICER)


@pytest.fixture
def binta(django_user_model):
    """A second information management officer of the authority."""
    return member(django_user_model, "binta", Organisation.objects.get(acronym="CNLPAL"), roles.IM_OFFICER)


@pytest.fixture
def alice(django_user_model):
    return member(django_user_model, "alice", Organisation.objects.get(acronym="HI"), roles.PARTNER_DATA_MANAGER)


def _submitted_incident(alice) -> Incident:
    incident = incident_create(
        user=alice,
        organisation=Organisation.objects.get(acronym="HI"),
        data={"incident_class": "improvised", "incident_date": "2024-03-15", "location": point(GAO),
              "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on"},
    )  # fmt: skip
    return record_transition(record=incident, user=alice, action="submit")


def _statuses(answers) -> list:
    return [getattr(answer, "status_code", repr(answer)) for answer in answers]


def _updates(incident) -> int:
    """The incident's history: one update event per change saved."""
    return IncidentEvent.objects.filter(pgh_obj_id=incident.pk, pgh_label="update").count()


def _assert_one_more_version(incident, before_version: int, before_updates: int) -> Incident:
    incident.refresh_from_db()
    assert incident.version == before_version + 1
    assert _updates(incident) == before_updates + 1
    return incident


# --- The API -------------------------------------------------------------------------------------


def test_two_patches_with_the_same_if_match(awa, binta, alice):
    clients = {"awa": _client(awa), "binta": _client(binta)}
    incident = _submitted_incident(alice)
    url = f"/api/v1/incidents/{incident.pk}/"
    for round_ in range(ROUNDS):
        incident.refresh_from_db()
        version, updates = incident.version, _updates(incident)
        texts = {name: f"Seen by {name}, round {round_}" for name in clients}
        answers = at_once(*[
            partial(clients[name].patch, url, {"description": texts[name]}, format="json",
                    HTTP_IF_MATCH=f'"{version}"')
            for name in clients
        ])  # fmt: skip

        assert sorted(_statuses(answers)) == [200, 412]
        winner, loser = sorted(zip(clients, answers, strict=True), key=lambda pair: pair[1].status_code)
        assert loser[1].json() == {"detail": STALE}
        assert winner[1]["ETag"] == f'"{version + 1}"'
        incident = _assert_one_more_version(incident, version, updates)
        assert incident.description == texts[winner[0]]
        assert incident.updated_by.username == winner[0]


def test_two_approvals_of_the_same_version(awa, binta, alice):
    clients = {"awa": _client(awa), "binta": _client(binta)}
    for _round in range(ROUNDS):
        incident = _submitted_incident(alice)
        version, updates = incident.version, _updates(incident)
        url = f"/api/v1/incidents/{incident.pk}/approve/"
        answers = at_once(*[partial(c.post, url, {"version": version}, format="json") for c in clients.values()])

        assert sorted(_statuses(answers)) == [200, 412]
        winner = next(name for name, answer in zip(clients, answers, strict=True) if answer.status_code == 200)
        incident = _assert_one_more_version(incident, version, updates)
        assert incident.status == RecordStatus.APPROVED
        assert incident.updated_by.username == winner
        approvals = IncidentEvent.objects.filter(pgh_obj_id=incident.pk, pgh_context__metadata__action="approve")
        assert approvals.count() == 1


def test_an_approval_and_an_edit_of_the_same_version(awa, binta, alice):
    editor, approver = _client(awa), _client(binta)
    winners = []
    for round_ in range(ROUNDS):
        incident = _submitted_incident(alice)
        version, updates = incident.version, _updates(incident)
        text = f"Corrected before approval, round {round_}"
        answers = at_once(
            partial(editor.patch, f"/api/v1/incidents/{incident.pk}/", {"description": text}, format="json",
                    HTTP_IF_MATCH=f'"{version}"'),
            partial(approver.post, f"/api/v1/incidents/{incident.pk}/approve/", {"version": version}, format="json"),
        )  # fmt: skip

        assert sorted(_statuses(answers)) == [200, 412]
        incident = _assert_one_more_version(incident, version, updates)
        if answers[0].status_code == 200:
            winners.append("edit")
            # The approval was of a version without the correction: refused, the record waits.
            assert (incident.description, incident.status) == (text, RecordStatus.SUBMITTED)
        else:
            winners.append("approval")
            assert (incident.description, incident.status) == ("", RecordStatus.APPROVED)
    print(f"\nAPI approval against edit, winners: {winners}")


# --- The record pages ----------------------------------------------------------------------------


def _page_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _edit_data(client, incident, description: str) -> dict:
    """The edit form as the page gives it (its version included), with a new description."""
    page = client.get(f"/incidents/{incident.pk}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: "" if value is None else value for name, value in form.initial.items() if name in form.fields}
    data.update(
        {
            "location_0": str(incident.location.y),
            "location_1": str(incident.location.x),
            "incident_date": incident.incident_date.isoformat(),
            "incident_time": "",
            "description": description,
            "casualties-TOTAL_FORMS": "0",
            "casualties-INITIAL_FORMS": "0",
            "casualties-MIN_NUM_FORMS": "0",
            "casualties-MAX_NUM_FORMS": "200",
            "version": page.context["version_read"],
        }
    )
    assert f'name="version" value="{incident.version}"' in page.content.decode()
    return data


def test_two_edit_pages_opened_on_the_same_version(awa, binta, alice):
    clients = {"awa": _page_client(awa), "binta": _page_client(binta)}
    incident = _submitted_incident(alice)
    url = f"/incidents/{incident.pk}/edit/"
    for round_ in range(ROUNDS):
        incident.refresh_from_db()
        version, updates = incident.version, _updates(incident)
        texts = {name: f"Seen by {name} on the page, round {round_}" for name in clients}
        forms = {name: _edit_data(client, incident, texts[name]) for name, client in clients.items()}
        answers = at_once(*[partial(clients[name].post, url, forms[name]) for name in clients])

        assert sorted(_statuses(answers)) == [302, 409]
        winner, loser = sorted(zip(clients, answers, strict=True), key=lambda pair: pair[1].status_code)
        assert f"{incident} was changed since you opened it: read it again, then decide." in loser[1].content.decode()
        # The form shown again keeps the version it was opened on: saving it again is refused too.
        assert loser[1].context["version_read"] == version
        incident = _assert_one_more_version(incident, version, updates)
        assert incident.description == texts[winner[0]]


def test_a_stale_edit_page_is_refused_rather_than_undoing_a_change(awa, binta, alice):
    incident = _submitted_incident(alice)
    awa_page, binta_page = _page_client(awa), _page_client(binta)
    opened = _edit_data(awa_page, incident, "Awa's correction")
    first = binta_page.post(f"/incidents/{incident.pk}/edit/", _edit_data(binta_page, incident, "Binta's"))
    assert first.status_code == 302

    response = awa_page.post(f"/incidents/{incident.pk}/edit/", opened)

    assert response.status_code == 409
    incident.refresh_from_db()
    assert incident.description == "Binta's"
    # Without a version, a record last changed by someone else is refused as well.
    del opened["version"]
    assert awa_page.post(f"/incidents/{incident.pk}/edit/", opened).status_code == 409
    incident.refresh_from_db()
    assert incident.description == "Binta's"


def _transition_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_two_approvals_from_the_page_of_the_same_version(awa, binta, alice):
    clients = {"awa": _page_client(awa), "binta": _page_client(binta)}
    for _round in range(ROUNDS):
        incident = _submitted_incident(alice)
        version, updates = incident.version, _updates(incident)
        url = f"/incidents/{incident.pk}/transition/"
        answers = at_once(*[partial(c.post, url, {"action": "approve", "version": str(version)})
                             for c in clients.values()])  # fmt: skip

        # A button, not a form to show again: both go back to the record's page, each with its message.
        assert _statuses(answers) == [302, 302]
        said = sorted(_transition_messages(answer)[-1] for answer in answers)
        assert said == sorted([f"{incident}: approved.",
                               f"{incident} was changed since you opened it: read it again, then decide."])  # fmt: skip
        incident = _assert_one_more_version(incident, version, updates)
        assert incident.status == RecordStatus.APPROVED


def test_an_approval_and_an_edit_from_the_pages(awa, binta, alice):
    editor, approver = _page_client(awa), _page_client(binta)
    winners = []
    for round_ in range(ROUNDS):
        incident = _submitted_incident(alice)
        version, updates = incident.version, _updates(incident)
        text = f"Corrected on the page, round {round_}"
        form = _edit_data(editor, incident, text)
        answers = at_once(
            partial(editor.post, f"/incidents/{incident.pk}/edit/", form),
            partial(approver.post, f"/incidents/{incident.pk}/transition/", {"action": "approve",
                                                                            "version": str(version)}),
        )  # fmt: skip

        incident = _assert_one_more_version(incident, version, updates)
        approved = _transition_messages(answers[1])[-1] == f"{incident}: approved."
        if answers[0].status_code == 302:
            winners.append("edit")
            assert not approved
            assert (incident.description, incident.status) == (text, RecordStatus.SUBMITTED)
        else:
            winners.append("approval")
            assert answers[0].status_code == 409
            assert approved
            assert (incident.description, incident.status) == ("", RecordStatus.APPROVED)
    print(f"\nPages approval against edit, winners: {winners}")


# --- The admin -----------------------------------------------------------------------------------


def _admin_form(client, incident, description: str) -> dict:
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert page.status_code == 200
    assert f'name="version" value="{incident.version}"' in page.content.decode()
    return {**_form_data(page), "description": description, "_save": "Save"}


def test_two_admin_change_pages_opened_on_the_same_version(awa, binta, alice):
    clients = {"awa": _page_client(awa), "binta": _page_client(binta)}
    for user in (awa, binta):
        user.is_staff = True
        user.save()
    incident = _submitted_incident(alice)
    url = f"/admin/incidents/incident/{incident.pk}/change/"
    for round_ in range(ROUNDS):
        incident.refresh_from_db()
        version, updates = incident.version, _updates(incident)
        texts = {name: f"Seen by {name} in the admin, round {round_}" for name in clients}
        forms = {name: _admin_form(client, incident, texts[name]) for name, client in clients.items()}
        answers = at_once(*[partial(clients[name].post, url, forms[name]) for name in clients])

        assert sorted(_statuses(answers)) == [302, 409]
        winner, loser = sorted(zip(clients, answers, strict=True), key=lambda pair: pair[1].status_code)
        assert "was changed since you opened it: read it again, then decide." in loser[1].content.decode()
        incident = _assert_one_more_version(incident, version, updates)
        assert incident.description == texts[winner[0]]
