"""Incidents through their pages: one form for an incident and its casualties (errors on the
casualty's own field), the list, the edit of casualties through the services, scoping and the
approval from the incident's page."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test.html import Element, parse_html

from core.models import RecordStatus
from incidents.models import Casualty, Incident
from incidents.services import incident_create
from tests.geo import GAO, MOPTI, point

pytestmark = pytest.mark.django_db


def _management(total: int, initial: int = 0) -> dict:
    return {
        "casualties-TOTAL_FORMS": str(total),
        "casualties-INITIAL_FORMS": str(initial),
        "casualties-MIN_NUM_FORMS": "0",
        "casualties-MAX_NUM_FORMS": "200",
    }


def _incident_fields(organisation, **overrides) -> dict:
    data = {
        "organisation": organisation.pk,
        "incident_class": "improvised",
        "incident_date": "2024-03-15",
        "date_precision": "day",
        "location_0": "16.27",
        "location_1": "-0.04",
        "device_category_reported": "improvised_av_mine",
        "activation": "unknown",
        "how_activated": "stepped_on",
        "person_activated": "unknown",
        "anti_handling_device": "unknown",
        "moved_or_tampered": "unknown",
        "activity_at_time": "herding",
        "description": "Berger blessé près du puits",
    }
    data.update(overrides)
    return data


def _two_casualties(second_age: str) -> dict:
    return {
        **_management(3),
        "casualties-0-outcome": "killed",
        "casualties-0-sex": "male",
        "casualties-0-age": "34",
        "casualties-0-civilian_status": "civilian",
        "casualties-1-outcome": "injured",
        "casualties-1-sex": "female",
        "casualties-1-age": second_age,
        "casualties-1-civilian_status": "civilian",
        "casualties-1-injuries": ["lower_limb_amputation", "burns"],
        # The empty row the page offers, left as it came: not a casualty.
        "casualties-2-sex": "unknown",
        "casualties-2-civilian_status": "unknown",
    }


def _elements(element):
    for child in element.children:
        if isinstance(child, Element):
            yield child
            yield from _elements(child)


def _find(element, tag: str, **attributes):
    for found in _elements(element):
        attrs = dict(found.attributes)
        if found.name == tag and all(
            value in (attrs.get(key.rstrip("_")) or "").split() if key == "class_" else attrs.get(key) == value
            for key, value in attributes.items()
        ):
            return found
    return None


def _field_wrapper(container, input_name: str):
    """The `div.field` that holds the input named `input_name`."""
    for wrapper in _elements(container):
        classes = (dict(wrapper.attributes).get("class") or "").split()
        if wrapper.name == "div" and "field" in classes and _find(wrapper, "input", name=input_name) is not None:
            return wrapper
    return None


def _text(element) -> str:
    return " ".join(child if isinstance(child, str) else _text(child) for child in element.children)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def other_partner(django_user_model, partner_b):
    """Charlie: a data manager of partner B, who must see nothing of partner A's drafts."""
    from accounts.models import Profile

    user = django_user_model.objects.create_user("charlie.drc", password="x")
    Profile.objects.create(user=user, organisation=partner_b)
    user.groups.add(Group.objects.get(name="partner_data_manager"))
    return user


def test_a_partner_enters_an_incident_and_its_casualties_on_one_form(client, partner_user, partner_a):
    client.force_login(partner_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get("/incidents/new/").content.decode()
    assert 'name="casualties-TOTAL_FORMS"' in page
    assert 'name="casualties-0-outcome"' in page
    assert 'name="add_casualty"' in page
    # The picker fetches OpenLayers when its map is opened: the form itself stays light.
    assert "vendor/ol/ol.js" not in page
    assert "js/pick-point.js" in page
    assert "js/formset.js" in page
    # A partner writes identities of new casualties, never reads them back.
    assert 'name="casualties-0-full_name"' in page

    bad = client.post("/incidents/new/", {**_incident_fields(partner_a), **_two_casualties("130")})

    assert bad.status_code == 400
    assert not Incident.all_objects.exists()
    assert not Casualty.objects.exists()
    root = parse_html(bad.content.decode())
    row = _find(root, "fieldset", id="casualties-1-row")
    wrapper = _field_wrapper(row, "casualties-1-age")
    error = _find(wrapper, "ul", id="id_casualties-1-age_error")
    # The service's message, in the user's language, next to the age of the second casualty only.
    assert "L'âge doit être compris entre 0 et 120 ans." in _text(error)
    assert _find(_find(root, "fieldset", id="casualties-0-row"), "ul", class_="errorlist") is None
    # What was typed is kept.
    assert _find(wrapper, "input", name="casualties-1-age", value="130") is not None

    good = client.post("/incidents/new/", {**_incident_fields(partner_a), **_two_casualties("9")})

    incident = Incident.objects.get()
    assert good.status_code == 302
    assert good["Location"] == f"/incidents/{incident.pk}/"
    assert incident.created_by == partner_user
    assert incident.organisation == partner_a
    assert incident.status == RecordStatus.DRAFT
    # Mali rule: an improvised AV mine stepped on is counted as an improvised AP mine.
    assert (incident.device_category, incident.device_category_reported) == ("improvised_ap_mine", "improvised_av_mine")
    casualties = list(incident.casualties.order_by("id").values_list("outcome", "sex", "age", "age_group", "injuries"))
    assert casualties == [
        ("killed", "male", 34, "adult", []),
        ("injured", "female", 9, "child", ["lower_limb_amputation", "burns"]),
    ]
    assert all(c.created_by == partner_user for c in incident.casualties.all())


def test_every_mistake_shows_at_once_on_the_incident_and_on_its_casualties(english, partner_user, partner_a):
    english.force_login(partner_user)

    response = english.post(
        "/incidents/new/", {**_incident_fields(partner_a, incident_date="2024-03"), **_two_casualties("250")}
    )

    assert response.status_code == 400
    root = parse_html(response.content.decode())
    assert _find(root, "ul", id="id_incident_date_error") is not None
    row = _find(root, "fieldset", id="casualties-1-row")
    error = _find(_field_wrapper(row, "casualties-1-age"), "ul", id="id_casualties-1-age_error")
    assert "between 0 and 120" in _text(error)
    assert not Incident.all_objects.exists()


def test_a_wrong_incident_field_shows_on_the_incident_and_keeps_the_rows(english, partner_user, partner_a):
    english.force_login(partner_user)

    response = english.post(
        "/incidents/new/", {**_incident_fields(partner_a, incident_date="2024-03"), **_two_casualties("30")}
    )

    assert response.status_code == 400
    root = parse_html(response.content.decode())
    assert _find(root, "ul", id="id_incident_date_error") is not None
    assert _find(root, "input", name="casualties-1-age", value="30") is not None
    assert not Incident.all_objects.exists()


def test_a_date_in_the_future_refused_by_the_service_shows_next_to_the_date(english, partner_user, partner_a):
    english.force_login(partner_user)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()

    response = english.post(
        "/incidents/new/", {**_incident_fields(partner_a, incident_date=tomorrow), **_management(0)}
    )

    assert response.status_code == 400
    error = _find(parse_html(response.content.decode()), "ul", id="id_incident_date_error")
    assert error is not None
    assert "future" in _text(error)
    assert not Incident.all_objects.exists()


def test_a_casualty_row_without_its_outcome_is_named_at_the_top_and_on_the_row(english, partner_user, partner_a):
    english.force_login(partner_user)
    rows = {**_two_casualties("30"), "casualties-0-outcome": ""}

    response = english.post("/incidents/new/", {**_incident_fields(partner_a), **rows})

    assert response.status_code == 400
    root = parse_html(response.content.decode())
    assert "A casualty could not be saved" in _text(_find(root, "div", id="form-errors"))
    row = _find(root, "fieldset", id="casualties-0-row")
    assert _find(row, "ul", id="id_casualties-0-outcome_error") is not None
    assert not Incident.all_objects.exists()


def test_add_a_casualty_without_javascript_sends_back_one_more_row(english, partner_user, partner_a):
    english.force_login(partner_user)
    data = {**_incident_fields(partner_a, incident_class=""), **_two_casualties("30"), "add_casualty": "1"}

    response = english.post("/incidents/new/", data)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="casualties-TOTAL_FORMS" value="4"' in html
    assert 'id="casualties-3-row"' in html
    # Nothing judged yet, nothing saved.
    assert 'class="errorlist' not in html
    assert not Incident.all_objects.exists()


def _incident(user, organisation, **data):
    fields = {
        "incident_class": "improvised",
        "incident_date": datetime.date(2024, 3, 15),
        "location": point(MOPTI),
        "device_category_reported": "improvised_av_mine",
        "how_activated": "vehicle",
        "activity_at_time": "travelling",
        **data,
    }
    casualties = [
        {"outcome": "killed", "sex": "male", "age": 40, "civilian_status": "civilian"},
        {"outcome": "injured", "sex": "female", "age": 12, "civilian_status": "civilian"},
    ]
    return incident_create(user=user, organisation=organisation, data=fields, casualties=casualties)


def test_the_list_filters_sorts_pages_and_counts_casualties(english, officer, partner_user, partner_a, partner_b):
    from core.pages import PAGE_SIZE

    month = _incident(partner_user, partner_a, incident_date=datetime.date(2023, 7, 1), date_precision="month")
    gao = _incident(officer, partner_b, location=point(GAO), how_activated="stepped_on")
    english.force_login(officer)

    html = english.get("/incidents/?ordering=incident_date").content.decode()

    assert html.index(month.reference) < html.index(gao.reference)
    # Known to the month: shown as month/year; the Mali rule shows what was reported.
    assert "07/2023" in html
    assert "Improvised anti-personnel mine (reported: Improvised anti-vehicle mine)" in html
    rows = [r for r in _elements(parse_html(html)) if r.name == "tr" and month.reference in _text(r)]
    assert "2" in [_text(cell).strip() for cell in rows[0].children if isinstance(cell, Element)]

    filtered = english.get("/incidents/", {"organisation": "DRC"}).content.decode()
    assert gao.reference in filtered
    assert month.reference not in filtered

    descending = english.get("/incidents/?ordering=-incident_date").content.decode()
    assert descending.index(gao.reference) < descending.index(month.reference)

    for _i in range(PAGE_SIZE):
        _incident(officer, partner_b, incident_date=datetime.date(2022, 1, 1))
    first = english.get("/incidents/?ordering=-incident_date").content.decode()
    second = english.get("/incidents/?ordering=-incident_date&page=2").content.decode()
    assert gao.reference in first
    assert month.reference in first
    assert month.reference not in second
    assert "2022" in second


def test_the_list_runs_the_same_queries_for_one_record_or_many(english, officer, partner_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    english.force_login(officer)
    _incident(officer, partner_b)
    with CaptureQueriesContext(connection) as one:
        english.get("/incidents/")
    for _i in range(5):
        _incident(officer, partner_b)
    with CaptureQueriesContext(connection) as six:
        english.get("/incidents/")
    assert len(six) == len(one)


def test_the_edit_page_adds_changes_and_removes_casualties_through_the_services(english, partner_user, partner_a):
    incident = _incident(partner_user, partner_a)
    killed, injured = incident.casualties.order_by("id")
    english.force_login(partner_user)
    page = english.get(f"/incidents/{incident.pk}/edit/").content.decode()
    assert f'name="casualties-0-id" value="{killed.pk}"' in page
    # An identity already recorded is not written again from here.
    assert 'name="casualties-0-full_name"' not in page
    data = {
        **_incident_fields(partner_a, location_0="14.49", location_1="-4.19", how_activated="vehicle",
                           activity_at_time="travelling", description=""),
        **_management(3, initial=2),
        "casualties-0-id": killed.pk, "casualties-0-outcome": "killed", "casualties-0-sex": "male",
        "casualties-0-age": "41", "casualties-0-civilian_status": "civilian",
        "casualties-1-id": injured.pk, "casualties-1-outcome": "injured", "casualties-1-sex": "female",
        "casualties-1-age": "12", "casualties-1-civilian_status": "civilian", "casualties-1-DELETE": "on",
        "casualties-2-outcome": "injured", "casualties-2-sex": "male", "casualties-2-age": "",
        "casualties-2-civilian_status": "military",
    }  # fmt: skip

    response = english.post(f"/incidents/{incident.pk}/edit/", data)

    assert response.status_code == 302
    rows = list(incident.casualties.order_by("id").values_list("outcome", "sex", "age", "age_group", "civilian_status"))
    assert rows == [("killed", "male", 41, "adult", "civilian"), ("injured", "male", None, "unknown", "military")]
    added = incident.casualties.order_by("id").last()
    assert added.created_by == partner_user
    # Only the casualties changed: each one a new version of the incident.
    incident.refresh_from_db()
    assert incident.version == 4
    assert incident.how_activated == "vehicle"
    page = english.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"casualty #{killed.pk} changed" in page
    assert f"casualty #{injured.pk} removed" in page
    assert f"casualty #{added.pk} added" in page


def test_one_refused_casualty_on_the_edit_page_rolls_back_every_change(english, partner_user, partner_a):
    incident = _incident(partner_user, partner_a)
    killed, injured = incident.casualties.order_by("id")
    english.force_login(partner_user)
    data = {
        **_incident_fields(partner_a, location_0="14.49", location_1="-4.19", how_activated="vehicle",
                           activity_at_time="travelling", description="Changed"),
        **_management(2, initial=2),
        "casualties-0-id": killed.pk, "casualties-0-outcome": "killed", "casualties-0-sex": "male",
        "casualties-0-age": "41", "casualties-0-civilian_status": "civilian",
        "casualties-1-id": injured.pk, "casualties-1-outcome": "injured", "casualties-1-sex": "female",
        "casualties-1-age": "121", "casualties-1-civilian_status": "civilian",
    }  # fmt: skip

    response = english.post(f"/incidents/{incident.pk}/edit/", data)

    assert response.status_code == 400
    root = parse_html(response.content.decode())
    error = _find(_field_wrapper(_find(root, "fieldset", id="casualties-1-row"), "casualties-1-age"), "ul")
    assert "An age lies between 0 and 120 years." in _text(error)
    killed.refresh_from_db()
    incident.refresh_from_db()
    assert (killed.age, incident.description, incident.version) == (40, "", 1)


def test_another_partner_cannot_reach_a_draft_through_any_page(client, partner_user, partner_a, other_partner):
    incident = _incident(partner_user, partner_a)
    client.force_login(other_partner)

    assert incident.reference not in client.get("/incidents/").content.decode()
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.get(f"/incidents/{incident.pk}/edit/").status_code == 404
    response = client.post(f"/incidents/{incident.pk}/transition/", {"action": "submit", "version": "1"})
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.status == RecordStatus.DRAFT


def test_the_officer_approves_from_the_incident_page(client, partner_user, partner_a, officer):
    incident = _incident(partner_user, partner_a)
    client.force_login(partner_user)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'name="action" value="submit"' in page
    # A partner never reads identities: no column, no link.
    assert "/identity/" not in page
    client.post(f"/incidents/{incident.pk}/transition/", {"action": "submit", "version": "1"})
    incident.refresh_from_db()
    assert incident.status == RecordStatus.SUBMITTED

    client.force_login(officer)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'name="action" value="approve"' in page
    assert f'name="version" value="{incident.version}"' in page
    stale = client.post(
        f"/incidents/{incident.pk}/transition/", {"action": "approve", "version": str(incident.version - 1)}
    )
    assert stale.status_code == 302
    incident.refresh_from_db()
    assert incident.status == RecordStatus.SUBMITTED
    approved = client.post(
        f"/incidents/{incident.pk}/transition/", {"action": "approve", "version": str(incident.version)}
    )

    assert approved["Location"] == f"/incidents/{incident.pk}/"
    incident.refresh_from_db()
    assert incident.status == RecordStatus.APPROVED


def test_the_officer_reads_an_identity_through_a_logged_page(english, officer, partner_user, partner_a):
    from incidents.models import IdentityAccessLog

    english.force_login(partner_user)
    identity = {"casualties-0-full_name": "Aminata Traoré", "casualties-0-date_of_birth": "1990-05-02"}
    english.post("/incidents/new/", {**_incident_fields(partner_a), **_two_casualties("33"), **identity})
    incident = Incident.objects.get()
    casualty = incident.casualties.order_by("id").first()
    assert casualty.identity.full_name == "Aminata Traoré"
    assert "Aminata" not in english.get(f"/incidents/{incident.pk}/").content.decode()
    url = f"/incidents/{incident.pk}/casualties/{casualty.pk}/identity/"
    assert english.get(url).status_code == 403

    english.force_login(officer)
    page = english.get(f"/incidents/{incident.pk}/").content.decode()
    assert url in page
    assert "Aminata" not in page
    assert not IdentityAccessLog.objects.exists()
    assert "Aminata Traoré" in english.get(url).content.decode()
    assert IdentityAccessLog.objects.filter(user=officer, casualty=casualty, channel="page").count() == 1
