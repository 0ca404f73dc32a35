"""Every role × record type × action, through the API, with the exact status code.

Partner roles belong to partner A (HI), which reported every record below; authority roles to
the authority (CNLPAL); the viewer to partner A too. The expectations are written out here
from DOMAIN.md's roles, not derived from the code's tables.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Profile
from assistance.services import assistance_service_create, assistance_service_update, survivor_create, survivor_update
from community.services import community_report_create, community_report_update
from core.models import RecordStatus
from education.services import risk_education_session_create, risk_education_session_update
from hazards.services import (
    hazard_area_create,
    hazard_area_update,
    land_release_activity_create,
    land_release_activity_update,
)
from incidents.models import Casualty
from incidents.selectors import casualty_identity_get
from incidents.services import casualty_add, casualty_delete, casualty_update, incident_create, incident_update
from tests.geo import GAO, MOPTI, point, square

pytestmark = pytest.mark.django_db

ADMIN, IM, OPS, QM, DM, FIELD, VIEWER = (
    roles.AUTHORITY_ADMINISTRATOR, roles.IM_OFFICER, roles.OPERATIONS_OFFICER, roles.QM_OFFICER,
    roles.PARTNER_DATA_MANAGER, roles.PARTNER_FIELD_USER, roles.VIEWER,
)  # fmt: skip
AUTHORITY_ROLES = {ADMIN, IM, OPS, QM}
ALL = {ADMIN, IM, OPS, QM, DM, FIELD, VIEWER}
TYPES = [
    "hazard-areas", "land-release-activities", "incidents", "casualties", "risk-education-sessions", "survivors",
    "assistance-services", "community-reports",
]  # fmt: skip
OPERATIONS_TYPES = {"hazard-areas", "land-release-activities", "community-reports"}
WITH_WORKFLOW = [t for t in TYPES if t != "casualties"]
# Each move of the workflow, from the status it starts from.
TRANSITION_STARTS = [
    ("submit", RecordStatus.DRAFT), ("withdraw", RecordStatus.SUBMITTED), ("approve", RecordStatus.SUBMITTED),
    ("reject", RecordStatus.SUBMITTED), ("reopen", RecordStatus.APPROVED),
]  # fmt: skip


def allowed(action: str, resource: str) -> set[str]:
    """Roles that may do `action` on a record of partner A of type `resource`."""
    if action == "read":
        return ALL - {VIEWER}
    if action == "create":
        return {ADMIN, IM, DM, FIELD} | ({OPS} if resource in OPERATIONS_TYPES else set())
    if action == "update":
        return {ADMIN, IM, DM} | ({OPS} if resource in OPERATIONS_TYPES else set())
    if action == "delete":
        return {ADMIN, IM, DM}
    if action in ("submit", "withdraw"):
        return {ADMIN, IM, OPS, DM, FIELD}
    if action in ("approve", "reject", "reopen", "read_identity"):
        return {ADMIN, IM}
    raise AssertionError(action)


# --- Records of partner A in every state --------------------------------------------------


@pytest.fixture
def reporter(django_user_model, partner_a):
    user = django_user_model.objects.create_user("reporter", password="pw-reporter-1")
    Profile.objects.create(user=user, organisation=partner_a)
    user.groups.add(Group.objects.get(name=roles.PARTNER_DATA_MANAGER))
    return user


def _make(resource: str, user, org, status: str = RecordStatus.DRAFT):
    day = datetime.date(2024, 3, 15)
    if resource == "hazard-areas":
        record = hazard_area_create(
            user=user,
            organisation=org,
            data={"land_class": "cha", "geometry": square(MOPTI, 0.01), "evidence": "direct", "survey_date": day},
        )
    elif resource == "land-release-activities":
        hazard = _make("hazard-areas", user, org, RecordStatus.APPROVED)
        record = land_release_activity_create(
            user=user,
            organisation=org,
            data={"kind": "nts", "hazard_area": hazard, "start_date": day, "area_cancelled_m2": 10},
        )
    elif resource in ("incidents", "casualties"):
        record = incident_create(
            user=user,
            organisation=org,
            data={
                "incident_class": "mine",
                "incident_date": day,
                "location": point(GAO),
                "device_category_reported": "ap_mine",
            },
            casualties=[{"outcome": "injured", "age": 30, "identity": {"full_name": "Oumar Maïga"}}],
        )
        if resource == "casualties":
            type(record).objects.filter(pk=record.pk).update(status=status)
            return record.casualties.get()
    elif resource == "risk-education-sessions":
        record = risk_education_session_create(
            user=user,
            organisation=org,
            data={
                "session_date": day,
                "location": point(MOPTI),
                "method": "direct",
                "target_group": "school",
                "girls": 3,
            },
        )
    elif resource in ("survivors", "assistance-services"):
        casualty = _make("casualties", user, org, RecordStatus.APPROVED)
        record = survivor_create(user=user, organisation=org, data={"casualty": casualty})
        if resource == "assistance-services":
            record = assistance_service_create(
                user=user,
                organisation=org,
                survivor=record,
                data={"service_type": "referral", "provider_name": "CSCOM", "start_date": day},
            )
    elif resource == "community-reports":
        record = community_report_create(
            user=user, organisation=org, data={"report_date": day, "subject": "item", "location": point(GAO)}
        )
    type(record).objects.filter(pk=record.pk).update(status=status, updated_by=None)
    record.refresh_from_db()
    return record  # fmt: skip


def _payload(resource: str, reporter, org) -> dict:
    mopti = {"type": "Point", "coordinates": list(MOPTI)}
    if resource == "hazard-areas":
        return {
            "land_class": "sha",
            "geometry": square(MOPTI).json and __import__("json").loads(square(MOPTI).json),
            "evidence": "indirect",
            "survey_date": "2024-02-01",
        }
    if resource == "land-release-activities":
        hazard = _make("hazard-areas", reporter, org, RecordStatus.APPROVED)
        return {"kind": "nts", "hazard_area": hazard.pk, "start_date": "2024-02-01", "area_cancelled_m2": 5}
    if resource == "incidents":
        return {"incident_class": "uxo_axo", "incident_date": "2024-02-01", "location": mopti}
    if resource == "casualties":
        return {"incident": _make("incidents", reporter, org).pk, "outcome": "killed"}
    if resource == "risk-education-sessions":
        return {"session_date": "2024-02-01", "location": mopti, "method": "mass_media", "target_group": "general"}
    if resource == "survivors":
        return {"casualty": _make("casualties", reporter, org, RecordStatus.DRAFT).pk}
    if resource == "assistance-services":
        survivor = _make("survivors", reporter, org)
        return {
            "survivor": survivor.pk,
            "service_type": "psychological",
            "provider_name": "ONG",
            "start_date": "2024-03-20",
        }
    return {"report_date": "2024-02-01", "subject": "area", "location": mopti}  # fmt: skip


@pytest.fixture(params=sorted(ALL))
def role_client(request, django_user_model, authority, partner_a):
    role = request.param
    user = django_user_model.objects.create_user(f"user-{role}", password="pw-matrix-1")
    Profile.objects.create(user=user, organisation=authority if role in AUTHORITY_ROLES else partner_a)
    user.groups.add(Group.objects.get(name=role))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return role, client


@pytest.mark.parametrize("resource", TYPES)
def test_read(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    response = client.get(f"/api/v1/{resource}/{record.pk}/")
    assert response.status_code == (200 if role in allowed("read", resource) else 403)
    assert client.get(f"/api/v1/{resource}/").status_code == (200 if role in allowed("read", resource) else 403)


@pytest.mark.parametrize("resource", TYPES)
def test_create(role_client, resource, reporter, partner_a):
    role, client = role_client
    payload = _payload(resource, reporter, partner_a)
    if role in AUTHORITY_ROLES:
        payload["organisation"] = "HI"
    response = client.post(f"/api/v1/{resource}/", payload, format="json")
    assert response.status_code == (201 if role in allowed("create", resource) else 403), response.json()


@pytest.mark.parametrize("resource", TYPES)
def test_update(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    change = {"casualties": {"age": 31}, "hazard-areas": {"beneficiaries": 5}, "survivors": {"needs": "Prothèse"},
              "assistance-services": {"notes": "Suivi"}}.get(resource, {"external_id": "changed-1"})  # fmt: skip
    response = client.patch(
        f"/api/v1/{resource}/{record.pk}/", change, format="json", HTTP_IF_MATCH=f'"{record.version}"'
    )
    expected = 200 if role in allowed("update", resource) else 403
    if role == VIEWER:
        expected = 403
    assert response.status_code == expected, response.json()


@pytest.mark.parametrize("resource", TYPES)
def test_delete(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    response = client.delete(f"/api/v1/{resource}/{record.pk}/", HTTP_IF_MATCH=f'"{record.version}"')
    assert response.status_code == (204 if role in allowed("delete", resource) else 403)


@pytest.mark.parametrize(("action", "start"), TRANSITION_STARTS)
@pytest.mark.parametrize("resource", WITH_WORKFLOW)
def test_transitions(role_client, resource, action, start, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a, start)
    response = client.post(f"/api/v1/{resource}/{record.pk}/{action}/",
                           {"reason": "Coordonnées à vérifier", "version": record.version}, format="json")  # fmt: skip
    assert response.status_code == (200 if role in allowed(action, resource) else 403), response.json()
    record.refresh_from_db()
    if response.status_code == 200:
        target = {"submit": "submitted", "withdraw": "draft", "approve": "approved", "reject": "rejected",
                  "reopen": "submitted"}[action]  # fmt: skip
        assert response.json()["status"] == record.status == target
    else:
        assert record.status == start


def test_read_identity(role_client, reporter, partner_a):
    role, client = role_client
    casualty = _make("casualties", reporter, partner_a)
    response = client.get(f"/api/v1/casualties/{casualty.pk}/identity/")
    if role in allowed("read_identity", "casualties"):
        assert response.status_code == 200
        assert response.json()["full_name"] == "Oumar Maïga"
        assert casualty.identity_reads.get().channel == "api"
    else:
        assert response.status_code == 403
        assert not casualty.identity_reads.exists()
    assert Casualty.objects.filter(pk=casualty.pk).exists()


# --- The same matrix through the services (every door's floor) ----------------------------

from django.core.exceptions import PermissionDenied  # noqa: E402

from core import policy  # noqa: E402
from core.workflow import record_delete, record_transition  # noqa: E402


@pytest.fixture(params=sorted(ALL))
def role_user(request, django_user_model, authority, partner_a):
    role = request.param
    user = django_user_model.objects.create_user(f"svc-{role}", password="pw-matrix-1")
    Profile.objects.create(user=user, organisation=authority if role in AUTHORITY_ROLES else partner_a)
    user.groups.add(Group.objects.get(name=role))
    return role, user


def _service_create(resource: str, user, reporter, org):
    """The record `_payload` describes, created by `user` through the service."""
    day = datetime.date(2024, 2, 1)
    if resource == "hazard-areas":
        return hazard_area_create(
            user=user,
            organisation=org,
            data={"land_class": "sha", "geometry": square(MOPTI), "evidence": "indirect", "survey_date": day},
        )
    if resource == "land-release-activities":
        hazard = _make("hazard-areas", reporter, org, RecordStatus.APPROVED)
        return land_release_activity_create(
            user=user,
            organisation=org,
            data={"kind": "nts", "hazard_area": hazard, "start_date": day, "area_cancelled_m2": 5},
        )
    if resource == "incidents":
        return incident_create(
            user=user,
            organisation=org,
            data={"incident_class": "uxo_axo", "incident_date": day, "location": point(MOPTI)},
        )
    if resource == "casualties":
        return casualty_add(incident=_make("incidents", reporter, org), user=user, data={"outcome": "killed"})
    if resource == "risk-education-sessions":
        return risk_education_session_create(
            user=user,
            organisation=org,
            data={"session_date": day, "location": point(MOPTI), "method": "mass_media", "target_group": "general"},
        )
    if resource == "survivors":
        return survivor_create(user=user, organisation=org, data={"casualty": _make("casualties", reporter, org)})
    if resource == "assistance-services":
        return assistance_service_create(
            user=user,
            organisation=org,
            survivor=_make("survivors", reporter, org),
            data={"service_type": "psychological", "provider_name": "ONG", "start_date": datetime.date(2024, 3, 20)},
        )
    return community_report_create(user=user, organisation=org, data={
        "report_date": day, "subject": "area", "location": point(MOPTI)})  # fmt: skip


def _service_update(resource: str, record, user):
    if resource == "hazard-areas":
        return hazard_area_update(hazard=record, user=user, data={"beneficiaries": 5})
    if resource == "land-release-activities":
        return land_release_activity_update(activity=record, user=user, data={"external_id": "changed-1"})
    if resource == "incidents":
        return incident_update(incident=record, user=user, data={"external_id": "changed-1"})
    if resource == "casualties":
        return casualty_update(casualty=record, user=user, data={"age": 31})
    if resource == "risk-education-sessions":
        return risk_education_session_update(session=record, user=user, data={"external_id": "changed-1"})
    if resource == "survivors":
        return survivor_update(survivor=record, user=user, data={"needs": "Prothèse"})
    if resource == "assistance-services":
        return assistance_service_update(service=record, user=user, data={"notes": "Suivi"})
    return community_report_update(report=record, user=user, data={"external_id": "changed-1"})


def _allowed_by_service(call) -> bool:
    try:
        call()
    except PermissionDenied:
        return False
    return True


@pytest.mark.parametrize("resource", TYPES)
def test_services_read(role_user, resource, reporter, partner_a):
    role, user = role_user
    record = _make(resource, reporter, partner_a)
    assert policy.may_view(user, record) is (role in allowed("read", resource))


@pytest.mark.parametrize("resource", TYPES)
def test_services_create(role_user, resource, reporter, partner_a):
    role, user = role_user
    model = type(_make(resource, reporter, partner_a))
    before = model.objects.count()
    done = _allowed_by_service(lambda: _service_create(resource, user, reporter, partner_a))
    assert done is (role in allowed("create", resource))
    assert model.objects.count() == before + (1 if done else 0) + _prerequisites(resource)


def _prerequisites(resource: str) -> int:
    # Records of the same type `_service_create` makes first: the incident a casualty joins has one.
    return 1 if resource == "casualties" else 0


@pytest.mark.parametrize("resource", TYPES)
def test_services_update(role_user, resource, reporter, partner_a):
    role, user = role_user
    record = _make(resource, reporter, partner_a)
    done = _allowed_by_service(lambda: _service_update(resource, record, user))
    assert done is (role in allowed("update", resource))
    record.refresh_from_db()
    assert (record.updated_by_id == user.pk) is done


@pytest.mark.parametrize("resource", TYPES)
def test_services_delete(role_user, resource, reporter, partner_a):
    role, user = role_user
    record = _make(resource, reporter, partner_a)
    if resource == "casualties":
        done = _allowed_by_service(lambda: casualty_delete(casualty=record, user=user))
        assert Casualty.objects.filter(pk=record.pk).exists() is not done
    else:
        done = _allowed_by_service(lambda: record_delete(record=record, user=user))
        record.refresh_from_db()
        assert (record.deleted_at is not None) is done
    assert done is (role in allowed("delete", resource))


@pytest.mark.parametrize(("action", "start"), TRANSITION_STARTS)
@pytest.mark.parametrize("resource", WITH_WORKFLOW)
def test_services_transitions(role_user, resource, action, start, reporter, partner_a):
    role, user = role_user
    record = _make(resource, reporter, partner_a, start)
    done = _allowed_by_service(
        lambda: record_transition(record=record, user=user, action=action, reason="À vérifier", version=record.version)
    )
    assert done is (role in allowed(action, resource))
    record.refresh_from_db()
    assert (record.status != start) is done


def test_services_read_identity(role_user, reporter, partner_a):
    role, user = role_user
    casualty = _make("casualties", reporter, partner_a)
    done = _allowed_by_service(lambda: casualty_identity_get(user=user, casualty=casualty, channel="api"))
    assert done is (role in allowed("read_identity", "casualties"))
    assert casualty.identity_reads.count() == (1 if done else 0)


# --- A submitted record is frozen for its reporter, in every door ----------------------------


@pytest.mark.parametrize("resource", [t for t in TYPES if t != "casualties"])
def test_a_submitted_record_is_frozen_for_its_reporter_until_withdrawn(resource, reporter, partner_a):
    record = _make(resource, reporter, partner_a, RecordStatus.SUBMITTED)
    with pytest.raises(PermissionDenied, match="withdraw it"):
        _service_update(resource, record, reporter)
    with pytest.raises(PermissionDenied):
        record_delete(record=record, user=reporter)
    record_transition(record=record, user=reporter, action="withdraw")
    record.refresh_from_db()
    assert record.status == RecordStatus.DRAFT
    _service_update(resource, record, reporter)
    record.refresh_from_db()
    assert record.version >= 3


def test_an_approval_carries_the_version_read(reporter, partner_a, django_user_model, authority):
    from core.exceptions import ApplicationError, RecordChanged

    officer = django_user_model.objects.create_user("verifier", password="pw-matrix-1")
    Profile.objects.create(user=officer, organisation=authority)
    officer.groups.add(Group.objects.get(name=IM))
    record = _make("incidents", reporter, partner_a, RecordStatus.SUBMITTED)
    read = record.version
    with pytest.raises(ApplicationError) as missing:
        record_transition(record=record, user=officer, action="approve")
    assert list(missing.value.errors) == ["version"]
    # An officer corrects the record meanwhile: the first officer's approval is of what he did not see.
    incident_update(incident=record, user=officer, data={"description": "Corrigé"})
    with pytest.raises(RecordChanged):
        record_transition(record=record, user=officer, action="approve", version=read)
    record.refresh_from_db()
    assert record.status == RecordStatus.SUBMITTED
    record_transition(record=record, user=officer, action="approve", version=read + 1)
    record.refresh_from_db()
    assert record.status == RecordStatus.APPROVED


# --- One policy rule, every door ---------------------------------------------------------------


def _doors_let_the_reporter_change_a_submitted_record(reporter, partner_a) -> dict[str, bool]:
    """Each door in turn: may the reporter change its own submitted record?"""
    from rest_framework.test import APIClient

    results = {}
    record = _make("incidents", reporter, partner_a, RecordStatus.SUBMITTED)
    results["service"] = _allowed_by_service(lambda: incident_update(incident=record, user=reporter,
                                                                     data={"description": "service"}))  # fmt: skip
    record = _make("incidents", reporter, partner_a, RecordStatus.SUBMITTED)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(reporter)
    response = client.patch(f"/api/v1/incidents/{record.pk}/", {"description": "api"}, format="json",
                            HTTP_IF_MATCH=f'"{record.version}"')  # fmt: skip
    assert response.status_code in (200, 403), response.json()
    results["api"] = response.status_code == 200

    from django.test import Client

    from tests.workflow.test_permission_matrix_admin import _form_data

    record = _make("incidents", reporter, partner_a, RecordStatus.SUBMITTED)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(reporter)
    url = f"/admin/incidents/incident/{record.pk}/change/"
    page = browser.get(url)
    assert page.status_code == 200
    response = browser.post(url, {**_form_data(page), "description": "admin"})
    assert response.status_code in (302, 403)
    results["admin"] = response.status_code == 302
    record.refresh_from_db()
    assert (record.description == "admin") is results["admin"]
    return results


def test_breaking_one_policy_rule_opens_every_door(reporter, partner_a, monkeypatch):
    """The rule "a submitted record is frozen for its reporter" lives in core.policy only: with it,
    every door refuses; without it, every door lets the change through."""
    reporter.is_staff = True
    reporter.save(update_fields=["is_staff"])
    closed = {"service": False, "api": False, "admin": False}
    assert _doors_let_the_reporter_change_a_submitted_record(reporter, partner_a) == closed
    monkeypatch.setattr(policy, "OPEN_STATUSES", policy.OPEN_STATUSES | {RecordStatus.SUBMITTED})
    opened = {"service": True, "api": True, "admin": True}
    assert _doors_let_the_reporter_change_a_submitted_record(reporter, partner_a) == opened
