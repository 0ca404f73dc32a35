"""The national database in the Django admin: every page renders, in French, with local maps."""

import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client

from accounts import roles
from accounts.models import Profile
from assistance.models import AssistanceService, Survivor
from assistance.services import assistance_service_create, survivor_create
from core.models import RecordStatus
from hazards.models import HazardArea, ItemFound, LandReleaseActivity, NonConformity, QualityInspection
from hazards.services import hazard_area_create, land_release_activity_create
from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource
from incidents.services import incident_create, incident_update
from reference.models import AdministrativeArea, Organisation
from tests.geo import GAO, MOPTI, point, square
from tests.workflow.test_permission_matrix_admin import _form_data

pytestmark = pytest.mark.django_db

DOMAIN_APPS = {"reference", "hazards", "incidents", "education", "assistance", "community"}
MODELS = [m for m in admin.site._registry if m._meta.app_label in DOMAIN_APPS]


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("chef", "chef@example.org", "pw-chef-123")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_list_and_add_page_renders_in_french(client, superuser, model):
    client.force_login(superuser)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    pages = (base, base + "add/") if admin.site._registry[model].has_add_permission(_request(superuser)) else (base,)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'lang="fr"' in html
        assert "cdn.jsdelivr" not in html


def test_map_widget_uses_openlayers_from_static_files(client, superuser):
    client.force_login(superuser)
    html = client.get("/admin/hazards/hazardarea/add/").content.decode()
    assert "/static/vendor/ol/ol.js" in html
    assert "/static/gis/js/OLMapWidget.js" in html


def test_a_bad_polygon_is_a_form_error_and_nothing_is_saved(client, superuser, authority):
    client.force_login(superuser)
    # The map widget sends Web Mercator unless told: say WGS84.
    bowtie = "SRID=4326;POLYGON((-4.19 14.49, -4.18 14.5, -4.18 14.49, -4.19 14.5, -4.19 14.49))"
    response = client.post(
        "/admin/hazards/hazardarea/add/",
        {
            "organisation": authority.pk,
            "land_class": "sha",
            "geometry": bowtie,
            "evidence": "indirect",
            "survey_date": "2024-01-10",
            "hazard_status": "open",
            "hazard_status_date": "2024-01-10",
            "beneficiaries": 0,
            "priority": 2,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "The geometry is not valid: Self-intersection" in response.content.decode()
    from hazards.models import HazardArea

    assert not HazardArea.objects.exists()


def test_a_hazard_saved_in_the_admin_goes_through_the_service(client, superuser, authority):
    client.force_login(superuser)
    response = client.post(
        "/admin/hazards/hazardarea/add/",
        {
            "organisation": authority.pk,
            "land_class": "sha",
            "geometry": square(MOPTI).ewkt,
            "evidence": "indirect",
            "survey_date": "2024-01-10",
            "hazard_status": "open",
            "hazard_status_date": "2024-01-10",
            "beneficiaries": 5,
            "priority": 2,
            "contamination_types": ["uxo"],
        },
    )
    assert response.status_code == 302
    hazard = HazardArea.objects.get()
    assert hazard.reference.startswith("ML-HA-")
    assert hazard.admin_area.pcode == "ML05"
    assert hazard.created_by == superuser
    assert hazard.remaining_area_m2 == pytest.approx(hazard.area_m2)


def test_change_page_of_a_record_renders(client, superuser, partner_a, past):
    hazard = hazard_area_create(
        user=superuser,
        organisation=partner_a,
        data={"land_class": "cha", "geometry": square(MOPTI), "evidence": "direct", "survey_date": past},
    )
    client.force_login(superuser)
    response = client.get(f"/admin/hazards/hazardarea/{hazard.pk}/change/")
    assert response.status_code == 200
    assert hazard.reference in response.content.decode()


# --- The admin is a door like the API: scoped lists, core.policy's rights, the services -------

DAY = datetime.date(2024, 3, 15)


def _staff(django_user_model, username: str, organisation, role: str):
    user = django_user_model.objects.create_user(username, password="pw-staff-1", is_staff=True)
    Profile.objects.create(user=user, organisation=organisation)
    user.groups.add(Group.objects.get(name=role))
    return user


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _message(response) -> tuple[str, str]:
    """The message the request left (messages of earlier redirects wait in the same storage)."""
    *_earlier, last = get_messages(response.wsgi_request)
    return last.level_tag, last.message


@pytest.fixture
def alice(django_user_model, partner_a):
    """Partner A's data manager, in the admin."""
    return _staff(django_user_model, "alice", partner_a, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def charlie(django_user_model, partner_b):
    """Partner B's data manager: should have no access to partner A's own records."""
    return _staff(django_user_model, "charlie", partner_b, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def awa(django_user_model, authority):
    """An information management officer of the authority (verifies, approves, reads identities)."""
    return _staff(django_user_model, "awa", authority, roles.IM_OFFICER)


def _incident(user, organisation, *, place=GAO, casualties=None, status=RecordStatus.DRAFT) -> Incident:
    incident = incident_create(
        user=user,
        organisation=organisation,
        data={
            "incident_class": "mine",
            "incident_date": DAY,
            "location": point(place),
            "device_category_reported": "ap_mine",
        },
        casualties=casualties
        if casualties is not None
        else [
            {
                "outcome": "injured",
                "age": 30,
                "identity": {"full_name": "Oumar Maïga", "date_of_birth": datetime.date(1994, 1, 1)},
            }
        ],
    )
    Incident.objects.filter(pk=incident.pk).update(status=status)
    incident.refresh_from_db()
    return incident


def test_a_row_the_service_refuses_keeps_nothing_of_the_page_and_says_why(client, alice, partner_a):
    incident = _incident(alice, partner_a)
    casualty = incident.casualties.get()
    page = f"/admin/incidents/incident/{incident.pk}/change/"
    data = _form_data(_client(alice).get(page))
    # The form's own checks pass (an age of 50 is an age); the service compares it with the
    # date of birth on record, which the page does not show to a partner.
    data.update({"external_id": "changed-1", "casualties-0-age": "50"})
    response = _client(alice).post(page, data)
    assert response.status_code == 200
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert row.errors["age"] == ["The date of birth gives an age of 30 at the incident, not the age 50 reported."]
    assert response.context["adminform"].form.non_field_errors()[0].startswith("Nothing was saved.")
    incident.refresh_from_db()
    casualty.refresh_from_db()
    assert (incident.external_id, incident.version, casualty.age, casualty.version) == (None, 1, 30, 1)


def test_the_workflow_box_carries_the_version_read_and_refuses_a_stale_page(alice, awa, partner_a):
    incident = _incident(alice, partner_a, status=RecordStatus.SUBMITTED)
    officer = _client(awa)
    page = officer.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    read = re.search(r'<input type="hidden" name="version" value="(\d+)">', page).group(1)
    assert read == str(incident.version)
    transition = f"/admin/incidents/incident/{incident.pk}/transition/"

    # Approving needs the version read.
    response = officer.post(transition, {"action": "approve"})
    assert _message(response) == ("error", "Give the version you read (its ETag) to approve it.")
    # Someone changes the record meanwhile: the page read before is not approved unseen.
    incident_update(incident=incident, user=awa, data={"description": "Deux victimes selon l'hôpital"})
    response = officer.post(transition, {"action": "approve", "version": read})
    assert response.status_code == 302
    assert _message(response) == (
        "error",
        "Someone changed this record since you opened it: read it again, then approve it.",
    )
    assert Incident.objects.get(pk=incident.pk).status == RecordStatus.SUBMITTED
    response = officer.post(transition, {"action": "approve", "version": str(int(read) + 1)})
    assert _message(response) == ("success", "Done: approve.")
    assert Incident.objects.get(pk=incident.pk).status == RecordStatus.APPROVED


def test_the_history_shows_a_partner_other_organisations_by_acronym(alice, awa, charlie, partner_a):
    alice_client, officer = _client(alice), _client(awa)
    response = alice_client.post(
        "/admin/incidents/incident/add/",
        {
            **_form_data(alice_client.get("/admin/incidents/incident/add/")),
            "incident_class": "uxo_axo",
            "incident_date": "2024-02-01",
            "location": point(GAO).ewkt,
            "casualties-TOTAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.organisation == partner_a
    assert incident.device_category_reported == "unknown"
    alice_client.post(f"/admin/incidents/incident/{incident.pk}/transition/", {"action": "submit", "version": "1"})
    officer.post(f"/admin/incidents/incident/{incident.pk}/transition/", {"action": "approve", "version": "2"})
    assert Incident.objects.get().status == RecordStatus.APPROVED
    history = f"/admin/incidents/incident/{incident.pk}/history/"

    def actors(client) -> list[str]:
        return [event.actor for event in client.get(history).context["events"]]

    assert actors(officer) == ["alice", "alice", "awa"]
    assert actors(alice_client) == ["alice", "alice", "CNLPAL"]
    # Partner B reads the approved incident, and who acted by organisation only.
    assert actors(_client(charlie)) == ["HI", "HI", "CNLPAL"]
    html = _client(charlie).get(history).content.decode()
    assert "alice" not in html
    assert "awa" not in html
    assert "updated_by" not in html

    # The record's page names its writers the same way.
    page = f"/admin/incidents/incident/{incident.pk}/change/"
    theirs = _client(charlie).get(page)
    assert theirs.status_code == 200
    assert ">alice<" not in theirs.content.decode()
    assert ">awa<" not in theirs.content.decode()
    audit = {field.field["name"]: field.contents() for line in _audit(theirs) for field in line}
    assert (audit["created_by_actor"], audit["updated_by_actor"]) == ("HI", "CNLPAL")
    mine = {field.field["name"]: field.contents() for line in _audit(officer.get(page)) for field in line}
    assert (mine["created_by_actor"], mine["updated_by_actor"]) == ("alice", "awa")


def _audit(response):
    """The readonly lines of the record page's audit fieldset."""
    for fieldset in response.context["adminform"]:
        for line in fieldset:
            readonly = [field for field in line if isinstance(field.field, dict)]
            if any(field.field["name"].endswith("_actor") for field in readonly):
                yield readonly


def test_a_region_limited_officer_lists_survivors_and_services_of_its_regions(
    django_user_model, alice, partner_a, authority
):
    services = {}
    for place in (MOPTI, GAO):
        casualty = _incident(alice, partner_a, place=place, status=RecordStatus.APPROVED).casualties.get()
        survivor = survivor_create(user=alice, organisation=partner_a, data={"casualty": casualty})
        services[place] = assistance_service_create(
            user=alice, organisation=partner_a, survivor=survivor,
            data={"service_type": "referral", "provider_name": "CSCOM", "start_date": DAY},
        )  # fmt: skip
    mopti_officer = _staff(django_user_model, "mopti", authority, roles.IM_OFFICER)
    mopti_officer.profile.regions.add(AdministrativeArea.objects.get(pcode="ML05", valid_to__isnull=True))
    client = _client(mopti_officer)
    for url, model in (
        ("/admin/assistance/survivor/", Survivor),
        ("/admin/assistance/assistanceservice/", AssistanceService),
    ):
        response = client.get(url)
        assert response.status_code == 200
        listed = {row.pk for row in response.context["cl"].result_list}
        mopti = services[MOPTI] if model is AssistanceService else services[MOPTI].survivor
        gao = services[GAO] if model is AssistanceService else services[GAO].survivor
        assert listed == {mopti.pk}
        assert client.get(f"{url}{gao.pk}/change/").status_code == 302


def test_the_organisation_field_offers_a_partner_its_own_organisation(alice, awa, partner_a, partner_b):
    page = _client(alice).get("/admin/hazards/hazardarea/add/")
    field = page.context["adminform"].form.fields["organisation"]
    assert list(field.queryset) == [partner_a]
    assert page.context["adminform"].form.initial["organisation"] == partner_a.pk
    data = {**_form_data(page), "organisation": partner_b.pk, "land_class": "sha", "geometry": square(MOPTI).ewkt,
            "evidence": "indirect", "survey_date": "2024-01-10", "hazard_status_date": "2024-01-10"}  # fmt: skip
    response = _client(alice).post("/admin/hazards/hazardarea/add/", data)
    assert response.status_code == 200
    assert "organisation" in response.context["adminform"].form.errors
    assert not HazardArea.objects.exists()
    # The authority reports for any organisation.
    authority_field = _client(awa).get("/admin/hazards/hazardarea/add/").context["adminform"].form.fields
    assert set(authority_field["organisation"].queryset) == set(Organisation.objects.all())


def test_a_deletion_the_service_refuses_is_a_message_and_keeps_every_record(alice, partner_a):
    incident = _incident(alice, partner_a, casualties=[{"outcome": "injured", "age": 30}, {"outcome": "killed"}])
    followed, other = incident.casualties.order_by("outcome")
    survivor_create(user=alice, organisation=partner_a, data={"casualty": followed})
    client = _client(alice)
    response = client.post(f"/admin/incidents/casualty/{followed.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/incidents/casualty/{followed.pk}/change/"
    level, message = _message(response)
    assert level == "error"
    assert message.startswith("Other records refer to it: survivor")
    # The bulk action is all or nothing.
    response = client.post(
        "/admin/incidents/casualty/",
        {"action": "delete_selected", "_selected_action": [followed.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 302
    level, message = _message(response)
    assert level == "error"
    assert message.startswith("Nothing was deleted.")
    assert Casualty.objects.filter(incident=incident).count() == 2
    incident.refresh_from_db()
    assert incident.version == 1


def test_a_bulk_deletion_goes_through_the_services(alice, partner_a):
    first, second = _incident(alice, partner_a), _incident(alice, partner_a)
    response = _client(alice).post(
        "/admin/incidents/incident/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    # Soft deletion: out of every list, kept with its history, and its casualties leave too.
    assert not Incident.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert Incident.all_objects.filter(pk__in=[first.pk, second.pk], deleted_at__isnull=False).count() == 2
    assert not _client(alice).get("/admin/incidents/casualty/").context["cl"].result_list


def test_a_quality_inspection_and_its_non_conformities_go_through_the_services(
    django_user_model, alice, partner_a, authority
):
    hazard = hazard_area_create(
        user=alice,
        organisation=partner_a,
        data={"land_class": "cha", "geometry": square(MOPTI, 0.01), "evidence": "direct", "survey_date": DAY},
    )
    activity = land_release_activity_create(
        user=alice,
        organisation=partner_a,
        data={"kind": "nts", "hazard_area": hazard, "start_date": DAY, "area_cancelled_m2": 10},
    )
    LandReleaseActivity.objects.filter(pk=activity.pk).update(status=RecordStatus.APPROVED)
    qm = _staff(django_user_model, "quality", authority, roles.QM_OFFICER)
    client = _client(qm)
    page = client.get("/admin/hazards/qualityinspection/add/")
    data = {**_form_data(page), "activity": activity.pk, "kind": "qc", "inspection_date": "2024-04-01",
            "inspector_organisation": authority.pk, "result": "failed", "non_conformities-TOTAL_FORMS": "1",
            "non_conformities-0-severity": "major", "non_conformities-0-description": "Marquage absent",
            "non_conformities-0-closed_on": "2024-03-20"}  # fmt: skip
    refused = client.post("/admin/hazards/qualityinspection/add/", data)
    assert refused.status_code == 200
    row = refused.context["inline_admin_formsets"][0].formset.forms[0]
    assert row.errors["closed_on"] == ["A non-conformity cannot be closed before the inspection found it."]
    assert not QualityInspection.objects.exists()

    response = client.post("/admin/hazards/qualityinspection/add/", {**data, "non_conformities-0-closed_on": ""})
    assert response.status_code == 302
    inspection = QualityInspection.objects.get()
    assert (inspection.created_by, NonConformity.objects.get().created_by) == (qm, qm)
    activity.refresh_from_db()
    # The inspection and its finding are parts of the activity's report: two new versions.
    assert activity.version == 3
    # The partner inspected reads it; it may not change it.
    page = _client(alice).get(f"/admin/hazards/qualityinspection/{inspection.pk}/change/")
    assert page.status_code == 200
    assert (
        _client(alice).post(f"/admin/hazards/qualityinspection/{inspection.pk}/change/", _form_data(page)).status_code
        == 403
    )


def test_items_found_and_sources_are_rows_written_by_their_services(alice, partner_a):
    hazard = hazard_area_create(
        user=alice,
        organisation=partner_a,
        data={"land_class": "cha", "geometry": square(MOPTI, 0.01), "evidence": "direct", "survey_date": DAY},
    )
    activity = land_release_activity_create(
        user=alice, organisation=partner_a, data={"kind": "clearance", "hazard_area": hazard, "start_date": DAY}
    )
    client = _client(alice)
    url = f"/admin/hazards/landreleaseactivity/{activity.pk}/change/"
    data = {
        **_form_data(client.get(url)),
        "items_found-TOTAL_FORMS": "1",
        "items_found-0-category": "improvised_av_mine",
        "items_found-0-person_sensitive": "true",
        "items_found-0-quantity": "2",
        "items_found-0-condition": "armed",
    }
    assert client.post(url, data).status_code == 302
    item = ItemFound.objects.get()
    # Mali rule: a person-sensitive improvised AV mine counts as an improvised AP mine.
    assert (item.category, item.category_reported, item.created_by) == (
        "improvised_ap_mine",
        "improvised_av_mine",
        alice,
    )
    activity.refresh_from_db()
    assert activity.version == 2
    data = _form_data(client.get(url))
    data["items_found-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not ItemFound.objects.exists()
    activity.refresh_from_db()
    assert activity.version == 3

    incident = _incident(alice, partner_a)
    url = f"/admin/incidents/incident/{incident.pk}/change/"
    data = {
        **_form_data(client.get(url)),
        "sources-TOTAL_FORMS": "1",
        "sources-0-source_type": "health",
        "sources-0-name": "CSRef Gao",
        "sources-0-reliability": "confirmed",
        "sources-0-reported_on": "2024-03-16",
    }
    assert client.post(url, data).status_code == 302
    assert IncidentSource.objects.get().created_by == alice
    data = _form_data(client.get(url))
    data["sources-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not IncidentSource.objects.exists()
    incident.refresh_from_db()
    assert incident.version == 3


def test_a_casualty_page_adds_and_changes_through_the_services(alice, partner_a):
    incident = _incident(alice, partner_a, casualties=[])
    client = _client(alice)
    page = client.get("/admin/incidents/casualty/add/")
    response = client.post(
        "/admin/incidents/casualty/add/",
        {**_form_data(page), "incident": incident.pk, "outcome": "injured", "age": "15"},
    )
    assert response.status_code == 302
    casualty = Casualty.objects.get()
    assert (casualty.age_group, casualty.created_by) == ("child", alice)
    incident.refresh_from_db()
    assert incident.version == 2
    url = f"/admin/incidents/casualty/{casualty.pk}/change/"
    response = client.post(url, {**_form_data(client.get(url)), "age": "40"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    casualty.refresh_from_db()
    incident.refresh_from_db()
    assert (casualty.age_group, casualty.version, incident.version) == ("adult", 2, 3)
    # Once submitted, the report is frozen for its reporter: the casualty too.
    Incident.objects.filter(pk=incident.pk).update(status=RecordStatus.SUBMITTED)
    assert client.post(url, {**_form_data(client.get(url)), "age": "41"}).status_code == 403


def test_an_identity_is_read_and_written_on_the_casualty_page_by_roles_allowed(alice, awa, partner_a):
    casualty = _incident(alice, partner_a).casualties.get()
    url = f"/admin/incidents/casualty/{casualty.pk}/change/"
    officer = _client(awa)
    page = officer.get(url)
    assert "Oumar Maïga" in page.content.decode()
    assert casualty.identity_reads.get().user == awa
    data = {**_form_data(page), "identity-0-date_of_birth": "2025-01-01"}
    refused = officer.post(url, data)
    assert refused.status_code == 200
    assert "date_of_birth" in refused.context["inline_admin_formsets"][0].formset.forms[0].errors
    response = officer.post(url, {**_form_data(page), "identity-0-phone": "+223 70 00 00 00"})
    assert response.status_code == 302
    identity = CasualtyIdentity.objects.get()
    assert (identity.phone, identity.full_name, identity.updated_by) == ("+223 70 00 00 00", "Oumar Maïga", awa)
    # The reporting partner's data manager writes identities with reports, never reads them.
    assert "Oumar Maïga" not in _client(alice).get(url).content.decode()


def test_an_assistance_service_row_is_reported_for_the_partners_own_organisation(alice, partner_a, partner_b):
    casualty = _incident(alice, partner_a).casualties.get()
    survivor = survivor_create(user=alice, organisation=partner_a, data={"casualty": casualty})
    client = _client(alice)
    url = f"/admin/assistance/survivor/{survivor.pk}/change/"
    data = {**_form_data(client.get(url)), "services-TOTAL_FORMS": "1", "services-0-service_type": "psychological",
            "services-0-provider_name": "ONG Kene", "services-0-start_date": "2024-03-20",
            "services-0-outcome": "ongoing", "services-0-organisation": str(partner_b.pk)}  # fmt: skip
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "organisation" in refused.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert client.post(url, {**data, "services-0-organisation": str(partner_a.pk)}).status_code == 302
    service = AssistanceService.objects.get()
    assert (service.organisation, service.created_by, service.status) == (partner_a, alice, "draft")
