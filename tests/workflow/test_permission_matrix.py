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
from assistance.services import assistance_service_create, survivor_create
from community.services import community_report_create
from core.models import RecordStatus
from education.services import risk_education_session_create
from hazards.services import hazard_area_create, land_release_activity_create
from incidents.models import Casualty
from incidents.services import incident_create
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
    if action == "submit":
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


@pytest.mark.parametrize(
    ("action", "start"),
    [("submit", RecordStatus.DRAFT), ("approve", RecordStatus.SUBMITTED), ("reject", RecordStatus.SUBMITTED),
     ("reopen", RecordStatus.APPROVED)],
)  # fmt: skip
@pytest.mark.parametrize("resource", WITH_WORKFLOW)
def test_transitions(role_client, resource, action, start, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a, start)
    response = client.post(f"/api/v1/{resource}/{record.pk}/{action}/",
                           {"reason": "Coordonnées à vérifier", "version": record.version}, format="json")  # fmt: skip
    assert response.status_code == (200 if role in allowed(action, resource) else 403), response.json()
    record.refresh_from_db()
    if response.status_code == 200:
        target = {"submit": "submitted", "approve": "approved", "reject": "rejected", "reopen": "submitted"}[action]
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
