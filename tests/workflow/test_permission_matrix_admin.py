"""Every role × record type × action through the Django admin, over HTTP, with the exact answer.

The admin is a door like the API: the same personas and the same expectations as the API's
matrix (`allowed()` of tests/workflow/test_permission_matrix.py, written from DOMAIN.md's
roles). Partner roles belong to partner A (HI), which reported every record; authority roles to
the authority (CNLPAL); the viewer to partner A. Every user is staff: the admin is open to them,
what they may do in it is not.
"""

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.messages import get_messages
from django.forms import CheckboxInput, NullBooleanSelect
from django.test import Client

from accounts import roles
from accounts.models import Profile
from core import registry
from core.history import record_history
from core.models import RecordStatus
from hazards.models import QualityInspection
from hazards.services import quality_inspection_create
from incidents.models import Casualty, CasualtyIdentity, IdentityAccessLog
from tests.workflow.test_permission_matrix import (
    ALL,
    AUTHORITY_ROLES,
    DM,
    IM,
    TYPES,
    VIEWER,
    WITH_WORKFLOW,
    _make,
    _payload,
    allowed,
)

pytestmark = pytest.mark.django_db

TARGETS = {"submit": "submitted", "withdraw": "draft", "approve": "approved", "reject": "rejected",
           "reopen": "submitted"}  # fmt: skip
# The field each update changes, and the value it must then hold.
CHANGES = {
    "casualties": ("age", 31),
    "hazard-areas": ("beneficiaries", 5),
    "survivors": ("needs", "Prothèse"),
    "assistance-services": ("notes", "Suivi"),
}


def _url(resource: str, record=None, view: str = "change") -> str:
    meta = registry.by_slug(resource).model._meta
    base = f"/admin/{meta.app_label}/{meta.model_name}/"
    return base if record is None else f"{base}{record.pk}/{view}/"


def _staff(django_user_model, username: str, organisation, role: str):
    user = django_user_model.objects.create_user(username, password="pw-matrix-1", is_staff=True)
    Profile.objects.create(user=user, organisation=organisation)
    user.groups.add(Group.objects.get(name=role))
    return user


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def reporter(django_user_model, partner_a):
    """Partner A's data manager, who reported every record (not staff: it works through the API)."""
    user = django_user_model.objects.create_user("reporter", password="pw-reporter-1")
    Profile.objects.create(user=user, organisation=partner_a)
    user.groups.add(Group.objects.get(name=roles.PARTNER_DATA_MANAGER))
    return user


@pytest.fixture(params=sorted(ALL))
def role_client(request, django_user_model, authority, partner_a):
    role = request.param
    user = _staff(django_user_model, f"staff-{role}", authority if role in AUTHORITY_ROLES else partner_a, role)
    return role, _client(user)


def _form_data(response) -> dict:
    """What a browser sends back from an admin page left as it is: the record's form and every
    inline formset, with its management form, from the page's own forms."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, NullBooleanSelect):
                data[bound.html_name] = {True: "true", False: "false"}.get(value, "unknown")
            elif isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, GEOSGeometry):
                data[bound.html_name] = value.ewkt
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    # The version the page was opened on (admin/record_change_form.html), as a browser sends it.
    original = response.context.get("original")
    if getattr(original, "version", None):
        data["version"] = str(original.version)
    return data


def _admin_payload(resource: str, reporter, organisation) -> dict:
    """The API matrix's payload as the admin's add form takes it: geometries as EWKT."""
    payload = {}
    for name, value in _payload(resource, reporter, organisation).items():
        if isinstance(value, dict) and "type" in value:
            value = GEOSGeometry(json.dumps(value)).ewkt
        payload[name] = value
    payload["organisation"] = organisation.pk
    if resource == "hazard-areas":
        # The admin's form asks for the status date the API takes from the survey date.
        payload["hazard_status_date"] = payload["survey_date"]
    return payload


def _levels(response) -> list[str]:
    return [message.level_tag for message in get_messages(response.wsgi_request)]


# --- The matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", TYPES)
def test_read(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    response = client.get(_url(resource, record))
    if role in allowed("read", resource):
        assert response.status_code == 200
        assert response.context["original"].pk == record.pk
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("resource", TYPES)
def test_list(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    response = client.get(_url(resource))
    if role in allowed("read", resource):
        assert response.status_code == 200
        assert f'href="{_url(resource, record)}' in response.content.decode()
        assert record.pk in {row.pk for row in response.context["cl"].result_list}
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("resource", TYPES)
def test_create(role_client, resource, reporter, partner_a):
    role, client = role_client
    payload = _admin_payload(resource, reporter, partner_a)
    model = registry.by_slug(resource).model
    before = model.objects.count()
    page = client.get(_url(resource) + "add/")
    if role in allowed("create", resource):
        assert page.status_code == 200
        response = client.post(_url(resource) + "add/", {**_form_data(page), **payload})
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert model.objects.count() == before + 1
        created = model.objects.order_by("-pk").first()
        # The service stamped its author: the admin does not write around it.
        assert created.created_by.username == f"staff-{role}"
        if hasattr(created, "organisation"):
            assert created.organisation == partner_a
    else:
        assert page.status_code == 403
        assert client.post(_url(resource) + "add/", payload).status_code == 403
        assert model.objects.count() == before


@pytest.mark.parametrize("resource", TYPES)
def test_update(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    field, value = CHANGES.get(resource, ("external_id", "changed-1"))
    page = client.get(_url(resource, record))
    data = _form_data(page) if page.status_code == 200 else {}
    response = client.post(_url(resource, record), {**data, field: str(value)})
    changed = type(record).objects.get(pk=record.pk)
    if role in allowed("update", resource):
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert getattr(changed, field) == value
        assert changed.version == record.version + 1
        assert changed.updated_by.username == f"staff-{role}"
    else:
        assert response.status_code == 403
        assert getattr(changed, field) != value
        assert changed.version == record.version


@pytest.mark.parametrize("resource", TYPES)
def test_delete(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    response = client.post(_url(resource, record, "delete"), {"post": "yes"})
    live = type(record).objects.filter(pk=record.pk).exists()
    if role in allowed("delete", resource):
        assert response.status_code == 302
        assert response["Location"] == _url(resource)
        assert not live
    else:
        assert response.status_code == 403
        assert live


@pytest.mark.parametrize(
    ("action", "start"),
    [("submit", RecordStatus.DRAFT), ("withdraw", RecordStatus.SUBMITTED), ("approve", RecordStatus.SUBMITTED),
     ("reject", RecordStatus.SUBMITTED), ("reopen", RecordStatus.APPROVED)],
)  # fmt: skip
@pytest.mark.parametrize("resource", WITH_WORKFLOW)
def test_transitions(role_client, resource, action, start, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a, start)
    page = client.get(_url(resource, record))
    if page.status_code == 200:
        html = page.content.decode()
        # The box offers exactly what the role may do, with the version read.
        assert (f'name="action" value="{action}"' in html) == (role in allowed(action, resource))
        version = re.search(r'name="version" value="(\d+)"', html)
        version = version.group(1) if version else str(record.version)
    else:
        version = str(record.version)
    response = client.post(
        _url(resource, record, "transition"),
        {"action": action, "workflow_reason": "Coordonnées à vérifier", "version": version},
    )
    record.refresh_from_db()
    if role in allowed(action, resource):
        assert response.status_code == 302
        assert _levels(response) == ["success"]
        assert record.status == TARGETS[action]
    else:
        assert response.status_code == (403 if role == VIEWER else 302)
        assert record.status == start
        if role != VIEWER:
            assert _levels(response) == ["error"]


def test_read_identity(role_client, reporter, partner_a):
    role, client = role_client
    casualty = _make("casualties", reporter, partner_a)
    response = client.get(_url("casualties", casualty))
    if role in allowed("read_identity", "casualties"):
        assert response.status_code == 200
        assert "Oumar Maïga" in response.content.decode()
        assert casualty.identity_reads.get().channel == "page"
    else:
        assert "Oumar Maïga" not in response.content.decode()
        assert not casualty.identity_reads.exists()


# --- A submitted record is frozen for its reporter until withdrawn -------------------------


@pytest.mark.parametrize("resource", WITH_WORKFLOW)
def test_a_submitted_record_is_frozen_for_its_reporter_until_withdrawn(
    resource, reporter, partner_a, django_user_model
):
    record = _make(resource, reporter, partner_a, RecordStatus.SUBMITTED)
    client = _client(_staff(django_user_model, "alice", partner_a, DM))
    field, value = CHANGES.get(resource, ("external_id", "changed-1"))

    page = client.get(_url(resource, record))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="action" value="withdraw"' in html
    assert 'name="action" value="submit"' not in html
    assert "withdraw it to change it" in html
    data = _form_data(page)
    assert client.post(_url(resource, record), {**data, field: str(value)}).status_code == 403
    assert client.post(_url(resource, record, "delete"), {"post": "yes"}).status_code == 403

    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    withdrawn = client.post(_url(resource, record, "transition"), {"action": "withdraw", "version": version})
    assert _levels(withdrawn) == ["success"]
    record.refresh_from_db()
    assert record.status == RecordStatus.DRAFT

    page = client.get(_url(resource, record))
    response = client.post(_url(resource, record), {**_form_data(page), field: str(value)})
    assert response.status_code == 302
    assert getattr(type(record).objects.get(pk=record.pk), field) == value


# --- Another organisation's records --------------------------------------------------------


@pytest.fixture
def charlie(django_user_model, partner_b):
    """Partner B's data manager: should have no access to partner A's own records."""
    return _staff(django_user_model, "charlie", partner_b, DM)


def test_a_partner_cannot_list_another_organisations_casualties(charlie, reporter, partner_a, partner_b):
    theirs = _make("casualties", reporter, partner_a)
    own = _make("casualties", _staff_reporter(partner_b), partner_b)
    client = _client(charlie)
    listed = {row.pk for row in client.get(_url("casualties")).context["cl"].result_list}
    assert own.pk in listed
    assert theirs.pk not in listed
    # Their draft's page is not found (the admin sends the user back to its index).
    assert client.get(_url("casualties", theirs)).status_code == 302
    # Nor is it offered where a casualty is chosen (a survivor's casualty).
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "assistance", "model_name": "survivor", "field_name": "casualty", "term": ""},
    ).json()
    assert {int(result["id"]) for result in found["results"]} == {own.pk}


def test_a_partner_cannot_list_another_organisations_quality_inspections(
    charlie, reporter, partner_a, partner_b, django_user_model, authority
):
    activity = _make("land-release-activities", reporter, partner_a, RecordStatus.APPROVED)
    qm = _staff(django_user_model, "quality", authority, roles.QM_OFFICER)
    inspection = quality_inspection_create(
        activity=activity,
        user=qm,
        data={"kind": "qc", "inspection_date": "2024-04-01", "inspector_organisation": authority, "result": "failed"},
    )
    # Partner A reads the inspection of its activity; partner B reads the approved activity, not
    # the authority's inspection of it.
    alice = _client(_staff(django_user_model, "alice", partner_a, DM))
    assert inspection.pk in {row.pk for row in alice.get("/admin/hazards/qualityinspection/").context["cl"].result_list}
    assert alice.get(f"/admin/hazards/qualityinspection/{inspection.pk}/change/").status_code == 200
    client = _client(charlie)
    assert client.get(_url("land-release-activities", activity)).status_code == 200
    assert not client.get("/admin/hazards/qualityinspection/").context["cl"].result_list
    assert client.get(f"/admin/hazards/qualityinspection/{inspection.pk}/change/").status_code == 302
    # Partners read inspections; they never write them.
    assert alice.post(f"/admin/hazards/qualityinspection/{inspection.pk}/delete/", {"post": "yes"}).status_code == 403
    assert alice.get("/admin/hazards/qualityinspection/add/").status_code == 403
    assert QualityInspection.objects.filter(pk=inspection.pk).exists()


def test_a_partner_cannot_list_or_read_casualty_identities(charlie, reporter, partner_a, django_user_model, authority):
    casualty = _make("casualties", reporter, partner_a, RecordStatus.APPROVED)
    assert CasualtyIdentity.objects.filter(casualty=casualty).exists()
    # Identities have no list of their own in the admin, for anyone.
    officer = _client(_staff(django_user_model, "officer", authority, IM))
    assert officer.get("/admin/incidents/casualtyidentity/").status_code == 404
    # An approved casualty of partner A is national data: partner B reads it, not its identity;
    # neither does partner A's own data manager, whose role has no right to identities.
    for client in (_client(charlie), _client(_staff(django_user_model, "alice", partner_a, DM))):
        page = client.get(_url("casualties", casualty))
        assert page.status_code == 200
        assert "Oumar Maïga" not in page.content.decode()
        assert not page.context["inline_admin_formsets"]
        assert client.get("/admin/incidents/identityaccesslog/").status_code == 403
    assert not IdentityAccessLog.objects.exists()


def _staff_reporter(organisation):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(f"reporter-{organisation.acronym}", password="pw-reporter-1")
    Profile.objects.create(user=user, organisation=organisation)
    user.groups.add(Group.objects.get(name=roles.PARTNER_DATA_MANAGER))
    return user


# --- Inline rows go through the services ----------------------------------------------------


def test_an_inline_casualty_added_in_the_admin_gets_the_services_rules(reporter, partner_a, django_user_model):
    incident = _make("incidents", reporter, partner_a)
    alice = _staff(django_user_model, "alice", partner_a, DM)
    client = _client(alice)
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    data = _form_data(page)
    data.update(
        {
            "casualties-TOTAL_FORMS": "2",
            "casualties-1-outcome": "killed",
            "casualties-1-sex": "female",
            "casualties-1-age": "12",
            "casualties-1-civilian_status": "civilian",
        }
    )
    response = client.post(f"/admin/incidents/incident/{incident.pk}/change/", data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    added = Casualty.objects.get(incident=incident, age=12)
    # Derived by the service, never typed: a child is under 18.
    assert added.age_group == Casualty.AgeGroup.CHILD
    assert (added.created_by, added.updated_by) == (alice, alice)
    incident.refresh_from_db()
    # A casualty is part of the incident's report: its version rises (ETag, syncs).
    assert incident.version == 2
    assert incident.updated_by == alice
    created = record_history(added)[0]
    assert created.pgh_label == "insert"
    assert (created.pgh_context["user"], created.pgh_context["username"]) == (alice.pk, "alice")
    assert created.pgh_context["action"] == "update"


def test_an_invalid_inline_casualty_keeps_nothing_of_the_page(reporter, partner_a, django_user_model, authority):
    """The authority may change a submitted report; a row it adds obeys the same rules (an age
    outside 0-120 is a form error) and nothing of the page is kept."""
    incident = _make("incidents", reporter, partner_a, RecordStatus.SUBMITTED)
    client = _client(_staff(django_user_model, "officer", authority, IM))
    data = _form_data(client.get(f"/admin/incidents/incident/{incident.pk}/change/"))
    data.update({"external_id": "changed-1", "casualties-TOTAL_FORMS": "2", "casualties-1-outcome": "killed",
                 "casualties-1-age": "130"})  # fmt: skip
    response = client.post(f"/admin/incidents/incident/{incident.pk}/change/", data)
    assert response.status_code == 200
    assert "age" in response.context["inline_admin_formsets"][0].formset.forms[1].errors
    incident.refresh_from_db()
    assert (incident.external_id, incident.version, incident.casualties.count()) == (None, 1, 1)
