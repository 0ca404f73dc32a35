"""The approval queue page: what waits for whom, and approving, rejecting and reopening from it."""

import re

import pytest
from django.contrib.auth.models import Group

from core.models import RecordStatus
from core.workflow import record_transition
from education.models import RiskEducationSession
from education.services import risk_education_session_create, risk_education_session_update
from tests.geo import MOPTI, point

pytestmark = pytest.mark.django_db

QUEUE = "/queue/"


@pytest.fixture
def client():
    """Pages answer in the request's language: these tests read them in English."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _session(user, organisation, **overrides) -> RiskEducationSession:
    data = {"session_date": "2024-03-15", "method": "direct", "target_group": "school", "location": point(MOPTI),
            "girls": 5, "boys": 4, **overrides}  # fmt: skip
    return risk_education_session_create(user=user, organisation=organisation, data=data)


@pytest.fixture
def submitted(client, partner_user, partner_a):
    """Partner A's session, submitted through its page."""
    session = _session(partner_user, partner_a)
    client.force_login(partner_user)
    response = client.post(f"/risk-education/{session.pk}/transition/", {"action": "submit", "version": 1})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == RecordStatus.SUBMITTED
    client.logout()
    return session


def _forms(html: str, record) -> dict[str, str]:
    """The workflow forms the queue shows for a record: {action: its hidden version}."""
    action = re.escape(f"/risk-education/{record.pk}/transition/")
    pattern = rf'<form method="post" action="{action}">.*?name="action" value="(\w+)">\s*<input type="hidden" ' \
              rf'name="version" value="(\d+)">'  # fmt: skip
    return dict(re.findall(pattern, html, flags=re.S))


def _post(client, record, action: str, version, reason: str = ""):
    return client.post(
        f"/risk-education/{record.pk}/transition/",
        {"action": action, "version": version, "reason": reason, "next": QUEUE},
        follow=True,
    )


def test_the_officer_approves_a_submitted_record_from_the_queue(client, officer, submitted):
    client.force_login(officer)

    page = client.get(QUEUE).content.decode()

    assert f'href="/risk-education/{submitted.pk}/"' in page
    assert submitted.reference in page
    assert "/admin/" not in page[page.index("<main") :]
    forms = _forms(page, submitted)
    assert set(forms) >= {"approve", "reject"}
    assert forms["approve"] == str(submitted.version)
    assert f'id="reason-reject-risk-education-sessions-{submitted.pk}"' in page

    done = _post(client, submitted, "approve", forms["approve"])

    assert done.redirect_chain == [(QUEUE, 302)]
    submitted.refresh_from_db()
    assert submitted.status == RecordStatus.APPROVED
    assert f"{submitted.reference}: approved." in done.content.decode()
    assert _forms(done.content.decode(), submitted).keys() == {"reopen"}


def test_a_rejection_needs_a_reason_which_the_partner_reads_in_its_queue(client, officer, partner_user, submitted):
    client.force_login(officer)
    version = _forms(client.get(QUEUE).content.decode(), submitted)["reject"]

    refused = _post(client, submitted, "reject", version)

    assert "A reason is required to reject." in refused.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == RecordStatus.SUBMITTED

    _post(client, submitted, "reject", version, reason="Les coordonnées tombent dans le fleuve.")

    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_reason) == (
        RecordStatus.REJECTED,
        "Les coordonnées tombent dans le fleuve.",
    )
    client.force_login(partner_user)
    page = client.get(QUEUE).content.decode()
    assert submitted.reference in page
    assert "Les coordonnées tombent dans le fleuve." in page
    assert set(_forms(page, submitted)) == {"submit"}


def test_the_officer_reopens_an_approved_record_with_a_reason(client, officer, submitted):
    record_transition(record=submitted, user=officer, action="approve", version=submitted.version)
    submitted.refresh_from_db()
    client.force_login(officer)

    page = client.get(QUEUE).content.decode()

    assert "Approved last, to reopen" in page
    assert "/risk-education/?status=approved" in page
    version = _forms(page, submitted)["reopen"]
    assert f'id="reason-reopen-risk-education-sessions-{submitted.pk}"' in page

    refused = _post(client, submitted, "reopen", version)
    assert "A reason is required to reopen." in refused.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == RecordStatus.APPROVED

    _post(client, submitted, "reopen", version, reason="Nombre de filles à vérifier.")

    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_reason) == (RecordStatus.SUBMITTED, "Nombre de filles à vérifier.")
    assert {"approve", "reject"} <= set(_forms(client.get(QUEUE).content.decode(), submitted))


def test_a_record_changed_after_the_page_was_shown_is_not_approved(client, officer, submitted):
    client.force_login(officer)
    version = _forms(client.get(QUEUE).content.decode(), submitted)["approve"]
    # The authority corrects the record in another tab meanwhile.
    risk_education_session_update(session=submitted, user=officer, data={"girls": 6})

    refused = _post(client, submitted, "approve", version)

    assert refused.redirect_chain == [(QUEUE, 302)]
    assert "was changed since you opened it" in refused.content.decode()
    submitted.refresh_from_db()
    assert (submitted.status, submitted.girls) == (RecordStatus.SUBMITTED, 6)
    # Shown again, the page carries the new version, which is approved.
    _post(client, submitted, "approve", _forms(client.get(QUEUE).content.decode(), submitted)["approve"])
    submitted.refresh_from_db()
    assert submitted.status == RecordStatus.APPROVED


def test_a_reporter_sees_its_drafts_and_may_withdraw_what_it_submitted(client, partner_user, partner_a, submitted,
                                                                       django_user_model, partner_b):  # fmt: skip
    draft = _session(partner_user, partner_a)
    client.force_login(partner_user)

    page = client.get(QUEUE).content.decode()

    assert set(_forms(page, draft)) == {"submit"}
    assert "Submitted, waiting for approval" in page
    assert set(_forms(page, submitted)) == {"withdraw"}
    assert "approve" not in re.findall(r'name="action" value="(\w+)"', page)

    _post(client, submitted, "withdraw", submitted.version)
    submitted.refresh_from_db()
    assert submitted.status == RecordStatus.DRAFT

    from accounts.models import Profile

    charlie = django_user_model.objects.create_user("charlie.partner", password="x")
    Profile.objects.create(user=charlie, organisation=partner_b)
    charlie.groups.add(Group.objects.get(name="partner_data_manager"))
    client.force_login(charlie)
    other = client.get(QUEUE).content.decode()
    assert draft.reference not in other
    assert submitted.reference not in other


def _queue_queries(client, django_assert_max_num_queries, limit: int) -> int:
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(QUEUE).status_code == 200
    return len(captured)


def test_the_queue_runs_a_bounded_number_of_queries_for_35_records(client, officer, partner_user, partner_a, partner_b,
                                                                django_assert_max_num_queries):  # fmt: skip
    def submit(count: int, organisation):
        for _ in range(count):
            session = _session(officer, organisation)
            record_transition(record=session, user=officer, action="submit")

    submit(3, partner_a)
    approved = _session(officer, partner_a)
    record_transition(record=approved, user=officer, action="submit")
    record_transition(record=approved, user=officer, action="approve", version=approved.version + 1)
    client.force_login(officer)
    few = _queue_queries(client, django_assert_max_num_queries, 60)

    submit(27, partner_a)
    submit(5, partner_b)
    many = _queue_queries(client, django_assert_max_num_queries, 60)

    page = client.get(QUEUE).content.decode()
    # The 10 oldest are shown, with the way to the others.
    assert page.count('name="action" value="approve"') == 10
    assert "The 10 oldest are shown." in page
    assert 'href="/risk-education/?status=submitted"' in page
    # Counting the cut list is one query; one more organisation among the records asks the policy
    # once more per action (withdraw, approve, reject), not per row.
    assert many <= few + 4
