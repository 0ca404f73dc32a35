"""Risk education sessions, survivors and assistance services through their pages: create and edit
with errors next to the field, lists with the API's filters, personal data hidden from other
partners, and another partner's drafts out of reach."""

import pytest
from django.contrib.auth.models import Group

from assistance.models import AssistanceService, Survivor
from assistance.services import assistance_service_create, survivor_create
from core.models import RecordStatus
from education.models import RiskEducationSession
from incidents.services import incident_create
from tests.geo import MOPTI, point

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """Pages answer in the request's language: these tests read them in English."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _rows(html: str) -> str:
    """The list's table body (not the messages above it)."""
    return html[html.index("<tbody>") : html.index("</tbody>")]


@pytest.fixture
def charlie(django_user_model, partner_b):
    """A data manager of partner B: must not reach partner A's drafts nor read its personal data."""
    from accounts.models import Profile

    user = django_user_model.objects.create_user("charlie.partner", password="x")
    Profile.objects.create(user=user, organisation=partner_b)
    user.groups.add(Group.objects.get(name="partner_data_manager"))
    return user


@pytest.fixture
def incident(officer, partner_a, past):
    return incident_create(
        user=officer,
        organisation=partner_a,
        data={
            "incident_class": "mine",
            "incident_date": past,
            "location": point(MOPTI),
            "device_category_reported": "ap_mine",
        },
        casualties=[{"outcome": "injured", "age": 15, "sex": "female"}, {"outcome": "killed", "age": 40}],
    )


def _approve(record):
    # The workflow has its own tests: here only the state matters.
    type(record).objects.filter(pk=record.pk).update(status=RecordStatus.APPROVED)


def _session_form(**overrides):
    data = {
        "organisation": "",
        "session_date": "2024-03-15",
        "date_precision": "day",
        "method": "direct",
        "target_group": "school",
        "location_0": "14.4953",
        "location_1": "-4.1962",
        "girls": "12",
        "boys": "10",
        "women": "3",
        "men": "2",
        "with_disability": "1",
        "notes": "École de Sévaré",
    }
    data.update(overrides)
    return data


# --- Risk education --------------------------------------------------------------------------


def test_a_partner_records_a_session_through_the_form_after_an_error(client, partner_user, partner_a):
    client.force_login(partner_user)

    form = client.get("/risk-education/new/").content.decode()
    assert 'name="location_0"' in form
    # The picker fetches OpenLayers when its map is opened: the form itself stays light.
    assert "/static/vendor/ol/ol.js" not in form
    assert "/static/js/pick-point.js" in form

    bad = client.post("/risk-education/new/", _session_form(organisation=partner_a.pk, with_disability="40"))

    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="id_with_disability_error"' in html
    assert "People with a disability (40) cannot outnumber the beneficiaries (27)." in html
    assert not RiskEducationSession.objects.exists()

    good = client.post("/risk-education/new/", _session_form(organisation=partner_a.pk))

    session = RiskEducationSession.objects.get()
    assert good.status_code == 302
    assert good["Location"] == f"/risk-education/{session.pk}/"
    assert (session.organisation, session.created_by, session.girls, session.beneficiaries) == (
        partner_a, partner_user, 12, 27,
    )  # fmt: skip
    assert session.admin_area is not None
    page = client.get(good["Location"]).content.decode()
    assert session.reference in page
    assert "Total beneficiaries" in page
    assert 'id="record-geometry"' in page
    assert f"/risk-education/{session.pk}/edit/" in page
    assert 'name="action" value="submit"' in page


def test_errors_are_given_in_the_users_language(partner_user, partner_a):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(partner_user)

    bad = client.post("/risk-education/new/", _session_form(organisation=partner_a.pk, session_date=""))

    assert bad.status_code == 400
    html = bad.content.decode()
    errors = html[html.index('id="id_session_date_error"') :]
    assert errors[: errors.index("</ul>")].endswith("Ce champ est obligatoire.</li>")
    assert not RiskEducationSession.objects.exists()


def test_a_session_is_edited_through_its_page_and_a_bad_value_saves_nothing(client, partner_user, partner_a):
    client.force_login(partner_user)
    client.post("/risk-education/new/", _session_form(organisation=partner_a.pk))
    session = RiskEducationSession.objects.get()
    edit = f"/risk-education/{session.pk}/edit/"
    assert 'value="14.4953"' in client.get(edit).content.decode()

    bad = client.post(edit, _session_form(organisation=partner_a.pk, girls="-3", boys="11"))

    assert bad.status_code == 400
    assert 'id="id_girls_error"' in bad.content.decode()
    session.refresh_from_db()
    assert (session.girls, session.boys, session.version) == (12, 10, 1)

    good = client.post(edit, _session_form(organisation=partner_a.pk, boys="11", location_0="14.5"))

    assert good.status_code == 302
    session.refresh_from_db()
    assert (session.boys, round(session.location.y, 4), session.version) == (11, 14.5, 2)


def test_the_session_list_filters_and_sorts_as_the_api(client, partner_user, partner_a):
    client.force_login(partner_user)
    client.post("/risk-education/new/", _session_form(organisation=partner_a.pk))
    client.post("/risk-education/new/", _session_form(organisation=partner_a.pk, method="mass_media",
                                                       target_group="nomads", session_date="2024-02-01"))  # fmt: skip
    direct, mass_media = RiskEducationSession.objects.order_by("session_date").reverse()

    listing = _rows(client.get("/risk-education/?category=mass_media").content.decode())
    assert mass_media.reference in listing
    assert direct.reference not in listing

    listing = _rows(client.get("/risk-education/?target_group=school&date_after=2024-03-01").content.decode())
    assert direct.reference in listing
    assert mass_media.reference not in listing

    ordered = client.get("/risk-education/?ordering=session_date").content.decode()
    assert ordered.index(mass_media.reference) < ordered.index(direct.reference)
    assert 'aria-sort="ascending"' in ordered

    # A filter of the wrong shape is an error on the filter, never a 500.
    wrong = client.get("/risk-education/?date_after=yesterday")
    assert wrong.status_code == 200
    assert "Correct the filters marked below." in wrong.content.decode()


# --- Survivors and services ------------------------------------------------------------------


def test_a_partner_follows_a_survivor_and_adds_a_service_through_the_pages(client, partner_user, partner_a, incident):
    injured = incident.casualties.get(outcome="injured")
    killed = incident.casualties.get(outcome="killed")
    client.force_login(partner_user)

    assert f'value="{injured.pk}"' in client.get(f"/survivors/new/?casualty={injured.pk}").content.decode()
    bad = client.post("/survivors/new/", {"organisation": partner_a.pk, "casualty": killed.pk, "needs": "Prothèse"})

    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="id_casualty_error"' in html
    assert "Only an injured casualty can be followed as a survivor." in html
    assert not Survivor.objects.exists()

    unknown = client.post("/survivors/new/", {"organisation": partner_a.pk, "casualty": "99999999"})
    assert unknown.status_code == 400
    assert "No casualty you may read has this number." in unknown.content.decode()

    good = client.post(
        "/survivors/new/",
        {"organisation": partner_a.pk, "casualty": injured.pk, "needs": "Prothèse", "has_disability": "true"},
    )

    survivor = Survivor.objects.get()
    assert good["Location"] == f"/survivors/{survivor.pk}/"
    assert (survivor.casualty, survivor.needs, survivor.has_disability) == (injured, "Prothèse", True)
    page = client.get(good["Location"]).content.decode()
    assert "Prothèse" in page
    assert incident.reference in page
    assert f"/services/new/?survivor={survivor.pk}" in page

    service_form = {
        "organisation": partner_a.pk,
        "survivor": survivor.pk,
        "service_type": "prosthesis",
        "provider": partner_a.pk,
        "start_date": "2024-04-01",
        "date_precision": "day",
        "end_date": "",
        "outcome": "completed",
    }
    bad = client.post("/services/new/", service_form)

    assert bad.status_code == 400
    assert 'id="id_end_date_error"' in bad.content.decode()
    assert "A completed service has an end date." in bad.content.decode()
    assert not AssistanceService.objects.exists()

    good = client.post("/services/new/", {**service_form, "end_date": "2024-06-01"})

    service = AssistanceService.objects.get()
    assert good["Location"] == f"/services/{service.pk}/"
    assert (service.survivor, service.outcome, service.created_by) == (survivor, "completed", partner_user)
    service_page = client.get(good["Location"]).content.decode()
    assert f'href="/survivors/{survivor.pk}/"' in service_page
    assert f'href="/services/{service.pk}/"' in client.get(f"/survivors/{survivor.pk}/").content.decode()


def test_a_survivor_and_a_service_are_edited_and_bad_values_save_nothing(client, partner_user, partner_a, incident):
    casualty = incident.casualties.get(outcome="injured")
    survivor = survivor_create(user=partner_user, organisation=partner_a, data={"casualty": casualty, "needs": "Soins"})
    service = assistance_service_create(
        user=partner_user, organisation=partner_a, survivor=survivor,
        data={"service_type": "physiotherapy", "provider_name": "Centre de Mopti", "start_date": "2024-04-01"},
    )  # fmt: skip
    client.force_login(partner_user)

    edit = client.get(f"/survivors/{survivor.pk}/edit/").content.decode()
    assert "Soins" in edit
    bad = client.post(f"/survivors/{survivor.pk}/edit/", {"organisation": partner_a.pk, "casualty": "abc",
                                                          "needs": "Fauteuil"})  # fmt: skip
    assert bad.status_code == 400
    assert 'id="id_casualty_error"' in bad.content.decode()
    survivor.refresh_from_db()
    assert survivor.needs == "Soins"
    form = {"organisation": partner_a.pk, "casualty": survivor.casualty_id, "needs": "Fauteuil"}
    good = client.post(f"/survivors/{survivor.pk}/edit/", form)
    assert good.status_code == 302
    survivor.refresh_from_db()
    assert (survivor.needs, survivor.version) == ("Fauteuil", 2)

    edit_url = f"/services/{service.pk}/edit/"
    # A service stays with its survivor: the edit form does not offer to move it.
    assert 'name="survivor"' not in client.get(edit_url).content.decode()
    form = {"organisation": partner_a.pk, "service_type": "physiotherapy", "provider_name": "Centre de Mopti",
            "start_date": "2024-04-01", "date_precision": "day", "outcome": "ongoing"}  # fmt: skip
    bad = client.post(edit_url, {**form, "end_date": "2024-03-01"})
    assert bad.status_code == 400
    assert "The end date cannot be before the start date." in bad.content.decode()
    service.refresh_from_db()
    assert service.end_date is None
    good = client.post(edit_url, {**form, "end_date": "2024-05-01", "outcome": "completed"})
    assert good.status_code == 302
    service.refresh_from_db()
    assert (str(service.end_date), service.outcome) == ("2024-05-01", "completed")


def test_the_service_list_filters_by_type_outcome_and_survivor(client, officer, partner_a, incident):
    survivor = survivor_create(user=officer, organisation=partner_a,
                               data={"casualty": incident.casualties.get(outcome="injured")})  # fmt: skip
    for service_type, outcome, end in (("prosthesis", "completed", "2024-05-01"), ("psychological", "ongoing", None)):
        assistance_service_create(
            user=officer, organisation=partner_a, survivor=survivor,
            data={"service_type": service_type, "provider": partner_a, "start_date": "2024-04-01",
                  "outcome": outcome, "end_date": end},
        )  # fmt: skip
    client.force_login(officer)

    by_type = _rows(client.get("/services/?category=prosthesis").content.decode())
    assert "Rehabilitation: prosthesis or orthosis" in by_type
    assert "Psychological and psychosocial support" not in by_type
    by_outcome = _rows(client.get("/services/?outcome=ongoing").content.decode())
    assert "Psychological and psychosocial support" in by_outcome
    assert "Rehabilitation: prosthesis or orthosis" not in by_outcome
    assert "2 records" in client.get(f"/services/?survivor={survivor.pk}").content.decode()
    assert "0 records" in client.get(f"/services/?survivor={survivor.pk + 1}").content.decode()
    assert f"/survivors/{survivor.pk}/" in client.get(f"/survivors/?casualty={survivor.casualty_id}").content.decode()


def test_a_survivors_health_data_is_hidden_from_another_partner(client, partner_user, partner_a, charlie, incident):
    casualty = incident.casualties.get(outcome="injured")
    data = {"casualty": casualty, "needs": "Prothèse tibiale", "has_disability": True}
    survivor = survivor_create(user=partner_user, organisation=partner_a, data=data)
    _approve(survivor)

    client.force_login(partner_user)
    own_list = client.get("/survivors/").content.decode()
    assert f"/survivors/{survivor.pk}/" in own_list
    assert "<td>yes</td>" in own_list
    assert "Prothèse tibiale" in client.get(f"/survivors/{survivor.pk}/").content.decode()

    client.force_login(charlie)
    listing = client.get("/survivors/").content.decode()
    assert f"/survivors/{survivor.pk}/" in listing
    assert "<td>yes</td>" not in listing
    page = client.get(f"/survivors/{survivor.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Prothèse tibiale" not in html
    assert "Has a disability" not in html
    assert "Needs" not in html


def test_another_partner_cannot_reach_drafts_of_any_of_these_types(client, partner_user, partner_a, charlie, incident):
    client.force_login(partner_user)
    client.post("/risk-education/new/", _session_form(organisation=partner_a.pk))
    session = RiskEducationSession.objects.get()
    survivor = survivor_create(user=partner_user, organisation=partner_a,
                               data={"casualty": incident.casualties.get(outcome="injured")})  # fmt: skip
    service = assistance_service_create(
        user=partner_user, organisation=partner_a, survivor=survivor,
        data={"service_type": "referral", "provider": partner_a, "start_date": "2024-04-01"},
    )  # fmt: skip
    client.force_login(charlie)

    for page, record in (("risk-education", session), ("survivors", survivor), ("services", service)):
        assert f"/{page}/{record.pk}/" not in client.get(f"/{page}/").content.decode()
        assert client.get(f"/{page}/{record.pk}/").status_code == 404
        assert client.get(f"/{page}/{record.pk}/edit/").status_code == 404
        assert client.post(f"/{page}/{record.pk}/edit/", {"notes": "x"}).status_code == 404
        assert client.post(f"/{page}/{record.pk}/transition/", {"action": "submit"}).status_code == 404
        record.refresh_from_db()
        assert record.status == RecordStatus.DRAFT

    # Nor can it attach a service to partner A's draft survivor by typing its number.
    refused = client.post("/services/new/", {"organisation": charlie.profile.organisation.pk,
                                             "survivor": survivor.pk, "service_type": "referral",
                                             "provider_name": "Clinique", "start_date": "2024-04-01",
                                             "date_precision": "day", "outcome": "ongoing"})  # fmt: skip
    assert refused.status_code == 400
    assert "No survivor you may read has this number." in refused.content.decode()
    assert AssistanceService.objects.count() == 1
