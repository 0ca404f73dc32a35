"""The admin of the national database as a person sees it, in Debian's Chromium."""

import pytest

from hazards.services import hazard_area_create
from incidents.services import incident_create
from tests.geo import GAO, MOPTI, point, square

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def records(django_db_setup, django_user_model):
    from django.core.management import call_command

    # Transactional tests start from empty tables: load Mali again.
    call_command("load_reference_data", verbosity=0)
    from reference.models import Organisation

    user = django_user_model.objects.create_superuser("fatou", "fatou@example.org", "Bamako-2024!")
    hi = Organisation.objects.get(acronym="HI")
    hazard = hazard_area_create(
        user=user,
        organisation=hi,
        data={
            "land_class": "cha",
            "geometry": square(MOPTI, 0.02),
            "evidence": "direct",
            "survey_date": "2024-02-01",
            "contamination_types": ["improvised_ap_mines"],
        },
    )
    incident = incident_create(
        user=user,
        organisation=hi,
        data={
            "incident_class": "improvised",
            "incident_date": "2024-02-03",
            "location": point(GAO),
            "device_category_reported": "improvised_av_mine",
            "how_activated": "stepped_on",
        },
        casualties=[{"outcome": "injured", "sex": "male", "age": 12, "civilian_status": "civilian"}],
    )
    return user, hazard, incident


def _log_in(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "fatou")
    page.fill("#id_password", "Bamako-2024!")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_hazard_page_shows_its_polygon_on_a_map_in_french(page, live_server, records, screenshot):
    _, hazard, _ = records
    _log_in(page, live_server)
    assert page.locator("html").get_attribute("lang") == "fr"

    page.goto(f"{live_server.url}/admin/hazards/hazardarea/{hazard.pk}/change/")
    # OpenLayers draws the map into a canvas once its script has loaded from our static files.
    page.wait_for_selector("#id_geometry_map canvas", timeout=15_000)
    assert page.locator("#id_geometry_map .ol-viewport").count() == 1
    # The widget holds the polygon as one feature, and the view is fitted to it.
    assert page.evaluate("() => geodjango_geometry.featureOverlay.getSource().getFeatures().length") == 1
    page.wait_for_timeout(500)
    assert hazard.reference in page.content()
    assert page.locator(".field-admin_area .readonly").inner_text() == "Mopti (ML05)"
    screenshot("admin-hazard-change")


def test_incident_list_shows_the_reclassification(page, live_server, records, screenshot):
    _, _, incident = records
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/incidents/incident/")
    row = page.locator("#result_list tbody tr").first
    assert incident.reference in row.inner_text()
    # The reclassified column shows Django's "yes" icon.
    assert row.locator(".field-reclassified img").get_attribute("alt") == "True"
    screenshot("admin-incident-list")


def _staff(django_user_model, username: str, acronym: str, role: str):
    from django.contrib.auth.models import Group

    from accounts.models import Profile
    from reference.models import Organisation

    user = django_user_model.objects.create_user(username, password="Bamako-2024!", is_staff=True)
    Profile.objects.create(user=user, organisation=Organisation.objects.get(acronym=acronym))
    user.groups.add(Group.objects.get(name=role))
    return user


def _log_in_as(page, live_server, username: str):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Bamako-2024!")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_a_partner_withdraws_its_submitted_report_and_the_officer_approves_what_he_read(
    page, live_server, records, screenshot, django_user_model
):
    from accounts import roles
    from core.workflow import record_transition
    from incidents.models import Incident

    _, _, incident = records
    partner = _staff(django_user_model, "aminata", "HI", roles.PARTNER_DATA_MANAGER)
    _staff(django_user_model, "awa", "CNLPAL", roles.IM_OFFICER)
    record_transition(record=incident, user=partner, action="submit")
    url = f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/"

    # The reporter: the submitted report is frozen; the workflow box offers to withdraw it.
    _log_in_as(page, live_server, "aminata")
    page.goto(url)
    box = page.locator("fieldset.workflow")
    assert "retirez-le pour le modifier" in box.inner_text()
    assert page.locator("input[name=_save]").count() == 0
    screenshot("admin-incident-submitted-for-its-reporter")
    with page.expect_navigation():
        box.locator("button[value=withdraw]").click()
    assert "Brouillon" in page.locator("fieldset.workflow").inner_text()
    page.fill("#id_description", "Deux blessés, pas un.")
    with page.expect_navigation():
        page.click("input[name=_save]")
    page.goto(url)
    with page.expect_navigation():
        page.locator("fieldset.workflow button[value=submit]").click()

    # The officer reads it; meanwhile someone changes it: his approval is refused, not applied unseen.
    _log_in_as(page, live_server, "awa")
    page.goto(url)
    Incident.objects.filter(pk=incident.pk).update(version=Incident.objects.get(pk=incident.pk).version + 1)
    with page.expect_navigation():
        page.locator("fieldset.workflow button[value=approve]").click()
    assert page.locator(".messagelist .error").count() == 1
    screenshot("admin-incident-approval-refused-after-a-change")
    assert Incident.objects.get(pk=incident.pk).status == "submitted"

    # Read again, approved.
    page.goto(url)
    with page.expect_navigation():
        page.locator("fieldset.workflow button[value=approve]").click()
    assert page.locator(".messagelist .success").count() == 1
    assert Incident.objects.get(pk=incident.pk).status == "approved"
    assert Incident.objects.get(pk=incident.pk).description == "Deux blessés, pas un."
