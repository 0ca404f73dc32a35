"""The admin and the pages in Arabic, right to left, as Debian's Chromium draws them."""

import pytest

from incidents.services import incident_create
from tests.browser.conftest import SCREENSHOTS
from tests.geo import GAO, point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def arabic_page(browser):
    # The browser asks for Arabic, as a reader's browser set to Arabic does.
    context = browser.new_context(locale="ar", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def incident(django_db_setup, django_user_model):
    from django.core.management import call_command

    # Transactional tests start from empty tables: load Mali again.
    call_command("load_reference_data", verbosity=0)
    from reference.models import Organisation

    user = django_user_model.objects.create_superuser("layla", "layla@example.org", "Bamako-2024!")
    return incident_create(
        user=user,
        organisation=Organisation.objects.get(acronym="HI"),
        data={
            "incident_class": "improvised",
            "incident_date": "2024-02-03",
            "location": point(GAO),
            "device_category_reported": "improvised_av_mine",
            "how_activated": "stepped_on",
        },
        casualties=[{"outcome": "injured", "sex": "female", "age": 9, "civilian_status": "civilian"}],
    )


def _direction(page) -> tuple[str | None, str | None, str]:
    return (
        page.locator("html").get_attribute("lang"),
        page.locator("html").get_attribute("dir"),
        page.evaluate("() => getComputedStyle(document.body).direction"),
    )


def test_the_admin_reads_right_to_left_in_arabic(arabic_page, live_server, incident):
    page = arabic_page
    page.goto(f"{live_server.url}/admin/login/")
    assert _direction(page) == ("ar", "rtl", "rtl")
    page.fill("#id_username", "layla")
    page.fill("#id_password", "Bamako-2024!")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert _direction(page) == ("ar", "rtl", "rtl")

    page.goto(f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/")
    assert _direction(page) == ("ar", "rtl", "rtl")
    # Right to left: each field's label stands to the right of its value.
    label = page.locator(".field-incident_date label").first.bounding_box()
    value = page.locator("#id_incident_date").bounding_box()
    assert label["x"] > value["x"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-incident-change-arabic.png"), full_page=True)

    page.goto(f"{live_server.url}/")
    assert _direction(page) == ("ar", "rtl", "rtl")
    assert page.locator("select[name=language] option[selected]").get_attribute("value") == "ar"
    page.screenshot(path=str(SCREENSHOTS / "home-arabic.png"), full_page=True)
