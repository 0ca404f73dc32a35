"""Every role × record type × action through the web application's pages, with the exact answer.

The pages are a door like the API and the admin: the same personas, records and expectations
(`allowed()` of tests/workflow/test_permission_matrix.py, written from DOMAIN.md's roles).
Partner roles belong to partner A (HI), which reported every record; authority roles to the
authority (CNLPAL); the viewer to partner A. Nobody is staff: the pages are for everyone.

A record type's pages are a list, a record's page, a create and an edit form and the workflow's
buttons (core.pages). A casualty has no pages of its own: it is a row of its incident's form
(added, changed, removed) and its identity has a page of its own, logged. No page deletes a
report: the admin and the API do.
"""

import json
import re

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.messages import get_messages
from django.forms import CheckboxInput, NullBooleanSelect
from django.test import Client
from django.urls import resolve
from pghistory.models import Events

from core import registry
from core.forms import LatLonField
from core.models import RecordStatus
from incidents.forms import CASUALTY_PREFIX, CasualtyFormSet
from incidents.models import Casualty
from tests.people import member
from tests.workflow import test_permission_matrix as api_matrix
from tests.workflow.test_permission_matrix import (
    ALL,
    AUTHORITY_ROLES,
    TRANSITION_STARTS,
    _make,
    _payload,
    allowed,
)

pytestmark = pytest.mark.django_db

# Partner A's data manager, who reported every record: the API matrix's fixture.
reporter = api_matrix.reporter

# The pages of each record type (the API's name: the pages' name); casualties are rows of incidents.
PAGES = {
    "hazard-areas": "hazards",
    "land-release-activities": "activities",
    "incidents": "incidents",
    "risk-education-sessions": "risk-education",
    "survivors": "survivors",
    "assistance-services": "services",
    "community-reports": "community-reports",
}
TYPES = list(PAGES)
TARGETS = {"submit": "submitted", "withdraw": "draft", "approve": "approved", "reject": "rejected",
           "reopen": "submitted"}  # fmt: skip
# The field each edit changes, and the value it must then hold (as the API's and the admin's matrix).
CHANGES = {
    "hazard-areas": ("beneficiaries", 5),
    "survivors": ("needs", "Prothèse"),
    "assistance-services": ("notes", "Suivi"),
}


@pytest.fixture(params=sorted(ALL))
def role_client(request, django_user_model, authority, partner_a):
    role = request.param
    user = member(django_user_model, f"page-{role}", authority if role in AUTHORITY_ROLES else partner_a, role)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return role, client


def _url(resource: str, record=None, view: str = "") -> str:
    base = f"/{PAGES[resource]}/"
    if record is None:
        return base + (f"{view}/" if view else "")
    return f"{base}{record.pk}/" + (f"{view}/" if view else "")


def _written() -> int:
    """Rows of history of every record type: a refused write adds none."""
    return Events.objects.count()


def _levels(response) -> list[str]:
    return [message.level_tag for message in get_messages(response.wsgi_request)]


def _browser_data(*forms) -> dict:
    """What a browser sends back from forms left as they are: each field as its widget writes it."""
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            if field.disabled:
                continue
            value = bound.value()
            if isinstance(field, LatLonField):
                latitude, longitude = field.widget.decompress(value)
                data[f"{bound.html_name}_0"] = "" if latitude is None else str(latitude)
                data[f"{bound.html_name}_1"] = "" if longitude is None else str(longitude)
            elif isinstance(field.widget, NullBooleanSelect):
                data[bound.html_name] = {True: "true", False: "false"}.get(value, "unknown")
            elif isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, GEOSGeometry):
                data[bound.html_name] = value.json
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                value = field.prepare_value(value) if value is not None else None
                data[bound.html_name] = "" if value is None else str(value)
    return data


def _formset(record=None, data=None) -> CasualtyFormSet:
    queryset = Casualty.objects.filter(incident=record).order_by("id") if record else Casualty.objects.none()
    return CasualtyFormSet(data, queryset=queryset, prefix=CASUALTY_PREFIX)


def _edit_data(resource: str, record, user) -> dict:
    """The edit form of `record` as its page shows it to `user`, sent back unchanged: built here so
    that a role the page refuses sends the same thing as one it lets in."""
    view = resolve(_url(resource, record, "edit")).func.view_class
    form = view.form_class(instance=record, user=user)
    forms = [form]
    if resource == "incidents":
        formset = _formset(record)
        forms += [formset.management_form, *formset.forms]
    data = _browser_data(*forms)
    # The version the page was opened on (core/record_form.html), as a browser sends it.
    data["version"] = str(record.version)
    if resource == "land-release-activities" and record.hazard_area_id:
        data["hazard_area"] = record.hazard_area.reference
    return data


def _create_data(resource: str, reporter, organisation) -> dict:
    """The API matrix's payload as the create form takes it: points as latitude and longitude,
    polygons as GeoJSON text, a hazardous area by its reference, over the form's defaults."""
    view = resolve(_url(resource, view="new")).func.view_class
    forms = [view.form_class(user=reporter)]
    if resource == "incidents":
        formset = _formset()
        forms += [formset.management_form, *formset.forms]
    data = _browser_data(*forms) | {"organisation": str(organisation.pk)}
    for name, value in _payload(resource, reporter, organisation).items():
        if isinstance(value, dict) and value.get("type") == "Point":
            data[f"{name}_0"], data[f"{name}_1"] = str(value["coordinates"][1]), str(value["coordinates"][0])
        elif isinstance(value, dict):
            data[name] = json.dumps(value)
        else:
            data[name] = str(value)
    if resource == "land-release-activities":
        data["hazard_area"] = registry.by_slug("hazard-areas").model.objects.get(pk=data["hazard_area"]).reference
        data["area_unit"] = "m2"
    return data


# --- Reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", TYPES)
def test_list_and_record_page(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    listed = client.get(_url(resource))
    page = client.get(_url(resource, record))
    if role in allowed("read", resource):
        assert listed.status_code == 200
        assert f'href="{_url(resource, record)}"' in listed.content.decode()
        assert page.status_code == 200
        assert page.context["record"].pk == record.pk
    else:
        assert listed.status_code == 403
        # The record does not exist for a role that reads no records: not found, as in the API's scoping.
        assert page.status_code == 404


# --- Writing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", TYPES)
def test_create(role_client, resource, reporter, partner_a):
    role, client = role_client
    model = registry.by_slug(resource).model
    data = _create_data(resource, reporter, partner_a)
    before, history = model.objects.count(), _written()
    page = client.get(_url(resource, view="new"))
    response = client.post(_url(resource, view="new"), data)
    if role in allowed("create", resource):
        assert page.status_code == 200
        assert response.status_code == 302, response.context["form"].errors
        assert model.objects.count() == before + 1
        created = model.objects.order_by("-pk").first()
        assert response["Location"] == _url(resource, created)
        # The service stamped its author and the organisation reported for.
        assert created.created_by.username == f"page-{role}"
        assert created.organisation == partner_a
    else:
        assert (page.status_code, response.status_code) == (403, 403)
        assert (model.objects.count(), _written()) == (before, history)


@pytest.mark.parametrize("resource", TYPES)
def test_update(role_client, resource, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a)
    field, value = CHANGES.get(resource, ("external_id", "changed-1"))
    data = {**_edit_data(resource, record, reporter), field: str(value)}
    history = _written()
    page = client.get(_url(resource, record, "edit"))
    response = client.post(_url(resource, record, "edit"), data)
    changed = type(record).objects.get(pk=record.pk)
    if role in allowed("update", resource):
        assert page.status_code == 200
        assert response.status_code == 302, response.context["form"].errors
        assert getattr(changed, field) == value
        assert changed.version == record.version + 1
        assert changed.updated_by.username == f"page-{role}"
    else:
        # Read but not changed: forbidden; not read at all: not found.
        expected = 403 if role in allowed("read", resource) else 404
        assert (page.status_code, response.status_code) == (expected, expected)
        assert getattr(changed, field) != value
        assert (changed.version, _written()) == (record.version, history)


@pytest.mark.parametrize("resource", TYPES)
def test_no_page_deletes_a_report(role_client, resource, reporter, partner_a):
    _role, client = role_client
    record = _make(resource, reporter, partner_a)
    assert client.post(_url(resource, record, "delete"), {"post": "yes"}).status_code == 404
    assert type(record).objects.filter(pk=record.pk, deleted_at__isnull=True).exists()


# --- Casualties: rows of their incident's form -----------------------------------------------


def _casualty_row_post(client, reporter, incident, change) -> tuple:
    data = _edit_data("incidents", incident, reporter) | change(incident)
    before, history = Casualty.objects.filter(incident=incident).count(), _written()
    response = client.post(_url("incidents", incident, "edit"), data)
    return response, before, history


def test_casualty_added_on_the_incidents_form(role_client, reporter, partner_a):
    role, client = role_client
    incident = _make("incidents", reporter, partner_a)

    def add(_incident):
        return {f"{CASUALTY_PREFIX}-TOTAL_FORMS": "2", f"{CASUALTY_PREFIX}-1-outcome": "killed",
                f"{CASUALTY_PREFIX}-1-age": "40"}  # fmt: skip

    response, before, history = _casualty_row_post(client, reporter, incident, add)
    # The page adds a casualty to a recorded incident through its edit form: the right to change
    # the incident, which a field user lacks (it adds casualties with a new incident, or the API).
    if role in allowed("create", "casualties") & allowed("update", "incidents"):
        assert response.status_code == 302
        added = Casualty.objects.get(incident=incident, age=40)
        assert added.created_by.username == f"page-{role}"
    else:
        assert response.status_code == (404 if role not in allowed("read", "incidents") else 403)
        assert (Casualty.objects.filter(incident=incident).count(), _written()) == (before, history)


def test_casualty_added_with_a_new_incident(role_client, reporter, partner_a):
    role, client = role_client
    data = _create_data("incidents", reporter, partner_a) | {
        f"{CASUALTY_PREFIX}-TOTAL_FORMS": "1", f"{CASUALTY_PREFIX}-0-outcome": "injured",
        f"{CASUALTY_PREFIX}-0-age": "9", f"{CASUALTY_PREFIX}-0-sex": "female",
    }  # fmt: skip
    before, history = Casualty.objects.count(), _written()
    response = client.post(_url("incidents", view="new"), data)
    if role in allowed("create", "casualties") & allowed("create", "incidents"):
        assert response.status_code == 302, response.context["form"].errors
        assert Casualty.objects.get(age=9).created_by.username == f"page-{role}"
    else:
        assert response.status_code == 403
        assert (Casualty.objects.count(), _written()) == (before, history)


def test_casualty_changed_on_the_incidents_form(role_client, reporter, partner_a):
    role, client = role_client
    casualty = _make("casualties", reporter, partner_a)
    response, _before, history = _casualty_row_post(
        client, reporter, casualty.incident, lambda _incident: {f"{CASUALTY_PREFIX}-0-age": "31"}
    )
    changed = Casualty.objects.get(pk=casualty.pk)
    if role in allowed("update", "casualties"):
        assert response.status_code == 302
        assert (changed.age, changed.updated_by.username) == (31, f"page-{role}")
    else:
        assert response.status_code == (404 if role not in allowed("read", "casualties") else 403)
        assert (changed.age, changed.version, _written()) == (30, casualty.version, history)


def test_casualty_removed_on_the_incidents_form(role_client, reporter, partner_a):
    role, client = role_client
    casualty = _make("casualties", reporter, partner_a)
    response, _before, history = _casualty_row_post(
        client, reporter, casualty.incident, lambda _incident: {f"{CASUALTY_PREFIX}-0-DELETE": "on"}
    )
    if role in allowed("delete", "casualties"):
        assert response.status_code == 302
        assert not Casualty.objects.filter(pk=casualty.pk).exists()
    else:
        assert response.status_code == (404 if role not in allowed("read", "casualties") else 403)
        assert Casualty.objects.filter(pk=casualty.pk).exists()
        assert _written() == history


# --- Workflow ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "start"), TRANSITION_STARTS)
@pytest.mark.parametrize("resource", TYPES)
def test_transitions(role_client, resource, action, start, reporter, partner_a):
    role, client = role_client
    record = _make(resource, reporter, partner_a, start)
    page = client.get(_url(resource, record))
    if page.status_code == 200:
        html = page.content.decode()
        # The page offers exactly what the role may do, with the version read.
        assert (f'name="action" value="{action}"' in html) == (role in allowed(action, resource))
    history, version = _written(), record.version
    response = client.post(
        _url(resource, record, "transition"),
        {"action": action, "reason": "Coordonnées à vérifier", "version": str(record.version)},
    )
    record.refresh_from_db()
    if role in allowed(action, resource):
        assert response.status_code == 302
        assert _levels(response) == ["success"]
        assert record.status == TARGETS[action]
    elif role in allowed("read", resource):
        assert response.status_code == 302
        assert _levels(response) == ["error"]
        assert (record.status, record.version, _written()) == (start, version, history)
    else:
        assert response.status_code == 404
        assert (record.status, record.version, _written()) == (start, version, history)


# --- A casualty's identity --------------------------------------------------------------------


def test_read_identity(role_client, reporter, partner_a):
    role, client = role_client
    casualty = _make("casualties", reporter, partner_a)
    identity_url = f"/incidents/{casualty.incident_id}/casualties/{casualty.pk}/identity/"
    incident_page = client.get(_url("incidents", casualty.incident))
    response = client.get(identity_url)
    html = response.content.decode()
    # The incident's page never shows an identity; it links to the logged page for roles that read it.
    assert "Oumar Maïga" not in incident_page.content.decode()
    if role in allowed("read_identity", "casualties"):
        assert f'href="{identity_url}"' in incident_page.content.decode()
        assert response.status_code == 200
        assert "Oumar Maïga" in html
        read = casualty.identity_reads.get()
        assert (read.channel, read.path, read.user.username) == ("page", identity_url, f"page-{role}")
    else:
        assert identity_url not in incident_page.content.decode()
        assert response.status_code == (403 if role in allowed("read", "casualties") else 404)
        assert "Oumar Maïga" not in html
        assert not casualty.identity_reads.exists()


def test_the_workflow_buttons_carry_the_version_read(reporter, partner_a, django_user_model, authority):
    """An approval from a page is of the version the page showed (as the API's If-Match)."""
    user = member(django_user_model, "page-verifier", authority, "information_management_officer")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    record = _make("incidents", reporter, partner_a, RecordStatus.SUBMITTED)
    html = client.get(_url("incidents", record)).content.decode()
    shown = re.search(r'name="action" value="approve">\s*<input type="hidden" name="version" value="(\d+)"', html)
    assert shown.group(1) == str(record.version)
    type(record).objects.filter(pk=record.pk).update(version=record.version + 1)
    response = client.post(_url("incidents", record, "transition"), {"action": "approve", "version": shown.group(1)})
    assert _levels(response) == ["error"]
    record.refresh_from_db()
    assert record.status == RecordStatus.SUBMITTED


# --- The approval queue: the workflow's buttons for many records at once -----------------------

BUTTON = re.compile(
    r'<form method="post" action="/incidents/(\d+)/transition/">.*?name="action" value="(\w+)"', re.DOTALL
)


def test_the_approval_queue_offers_each_role_what_it_may_do(role_client, reporter, partner_a):
    """The queue's buttons post to the same moves as a record's page; each is one the role may make."""
    role, client = role_client
    records = {
        state: _make("incidents", reporter, partner_a, state)
        for state in (RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.APPROVED)
    }
    response = client.get("/queue/")
    assert response.status_code == 200
    states = {record.pk: state for state, record in records.items()}
    offered = {(states[int(pk)], action) for pk, action in BUTTON.findall(response.content.decode())}
    assert all(role in allowed(action, "incidents") for _state, action in offered), offered
    # What waits for whom: the authority's approvers the submitted and approved records, the reporter
    # its drafts and what it submitted; other roles have nothing of partner A's to act on.
    waiting = {
        "authority_administrator": {("submitted", "withdraw"), ("submitted", "approve"), ("submitted", "reject"),
                                    ("approved", "reopen")},
        "partner_data_manager": {("draft", "submit"), ("submitted", "withdraw")},
    }  # fmt: skip
    waiting["information_management_officer"] = waiting["authority_administrator"]
    waiting["partner_field_user"] = waiting["partner_data_manager"]
    assert offered == waiting.get(role, set())


@pytest.mark.parametrize("resource", TYPES)
def test_a_partner_creates_for_its_own_organisation_only(resource, reporter, partner_a, partner_b):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reporter)
    model = registry.by_slug(resource).model
    data = _create_data(resource, reporter, partner_a) | {"organisation": str(partner_b.pk)}
    before, history = model.objects.count(), _written()
    response = client.post(_url(resource, view="new"), data)
    # The form offers a partner its own organisation only: another is not a valid choice.
    assert response.status_code == 400
    assert "organisation" in response.context["form"].errors
    assert (model.objects.count(), _written()) == (before, history)
