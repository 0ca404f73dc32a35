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
