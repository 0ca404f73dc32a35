"""Exports and treaty reports as an officer meets them in Debian's Chromium, with a live server and
a real Celery worker on Redis: an export asked from a filtered list is followed on "Your exports"
until its Download link appears, without reloading the page, and its file holds the list's rows;
a report the worker cannot write says why in its row. Screenshots in French, on a desktop and a
phone."""

import csv

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext, pgettext

from core.workflow import record_transition
from incidents.services import incident_create
from tests.browser.conftest import SCREENSHOTS
from tests.geo import GAO, MOPTI, point

pytestmark = [pytest.mark.browser, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 740}
PASSWORD = "Tombouctou-2026!"


@pytest.fixture
def export_root(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


@pytest.fixture
def officer(django_db_setup, django_user_model, export_root):
    from django.contrib.auth.models import Group

    from accounts.models import Profile
    from reference.models import Organisation

    # Transactional tests start from empty tables: load Mali again.
    call_command("load_reference_data", verbosity=0)
    user = django_user_model.objects.create_user("awa.officer", password=PASSWORD)
    Profile.objects.create(user=user, organisation=Organisation.objects.get(acronym="CNLPAL"))
    user.groups.add(Group.objects.get(name="information_management_officer"))
    return user


@pytest.fixture
def incidents(officer, django_user_model):
    """A partner's submitted incidents: three near Gao (région ML07), one near Mopti."""
    from django.contrib.auth.models import Group

    from accounts.models import Profile
    from reference.models import Organisation

    partner = django_user_model.objects.create_user("moussa.partner", password=PASSWORD)
    organisation = Organisation.objects.get(acronym="HI")
    Profile.objects.create(user=partner, organisation=organisation)
    partner.groups.add(Group.objects.get(name="partner_data_manager"))
    made = {}
    for place, where in (("gao-1", GAO), ("gao-2", GAO), ("gao-3", GAO), ("mopti", MOPTI)):
        incident = incident_create(
            user=partner,
            organisation=organisation,
            data={
                "incident_class": "improvised",
                "incident_date": "2024-03-15",
                "location": point(where),
                "device_category_reported": "improvised_av_mine",
                "how_activated": "stepped_on",
                "external_id": place,
            },
        )
        made[place] = record_transition(record=incident, user=partner, action="submit")
    return made


def _log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "awa.officer")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def _serious_axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def test_an_export_of_a_filtered_list_turns_into_a_download_without_reloading(browser, live_server, incidents, request):
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/incidents/?admin_area=ML07&ordering=reference")
    assert page.locator("main table tbody tr").count() == 3
    _shoot(page, "exports-incident-list-fr-desktop")
    assert _serious_axe_violations(page) == []

    page.select_option("#export-format", "csv")
    page.click("form.export-control button[type=submit]")
    page.wait_for_url(f"{live_server.url}/exports/")
    assert page.locator(".messages .success").count() == 1
    row = page.locator("table.exports tbody tr").first
    assert row.get_attribute("data-status") == "queued"
    assert row.locator("progress").get_attribute("value") == "0"
    # No worker yet: the export waits. A mark on the window tells whether the page is reloaded.
    page.evaluate("() => { window.notReloaded = true; }")
    _shoot(page, "exports-queued-fr-desktop")
    assert _serious_axe_violations(page) == []

    request.getfixturevalue("celery_worker")
    link = row.locator("a[download]")
    link.wait_for(timeout=60_000)

    assert page.evaluate("() => window.notReloaded") is True
    assert row.get_attribute("data-status") == "done"
    with translation.override("fr"):
        done, download_label = pgettext("export status", "Done"), gettext("Download")
    assert row.locator("[data-field=status]").inner_text() == done
    assert row.locator("[data-field=rows]").inner_text() == "3"
    assert page.locator("#export-news").inner_text().startswith("Incidents")
    # With nothing left to follow, the script stops and hides the Refresh link.
    page.locator("#exports-refresh").wait_for(state="hidden")
    assert page.locator("table.exports").get_attribute("data-followed") == "done"
    _shoot(page, "exports-done-fr-desktop")
    assert link.text_content() == f"{download_label}: Incidents"
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert sorted(int(r["id"]) for r in rows) == sorted(incidents[k].pk for k in ("gao-1", "gao-2", "gao-3"))
    assert download.value.suggested_filename.endswith(".csv")
    context.close()

    phone = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = phone.new_page()
    _log_in(page, live_server)
    for name, url in (("incident-list", "/incidents/?admin_area=ML07"), ("exports", "/exports/")):
        page.goto(f"{live_server.url}{url}")
        assert _no_sideways_scroll(page) <= 1, name
        _shoot(page, f"exports-{name}-fr-phone")
    phone.close()


def test_a_report_is_refused_without_capacity_then_written_by_the_worker(browser, live_server, officer, celery_worker):
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(locale="fr-FR", viewport=viewport)
        page = context.new_page()
        _log_in(page, live_server)
        page.goto(f"{live_server.url}/reports/")
        assert _no_sideways_scroll(page) <= 1
        if size == "desktop":
            assert _serious_axe_violations(page) == []
            # A wrong year is refused beside its field.
            page.check("#id_report_0")
            page.fill("#id_year", "1980")
            page.click("main button[type=submit]")
            page.locator("#id_year_error").wait_for()
            assert "1990" in page.locator("#id_year_error").inner_text()
        _shoot(page, f"treaty-reports-fr-{size}")
        context.close()

    from reports.models import ClearanceCapacity, Export

    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    page = context.new_page()
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/reports/")
    # The Article 5 annex needs a clearance capacity, and none is recorded: said on the form at once.
    page.check("#id_report_1")
    page.fill("#id_year", "2024")
    page.select_option("#id_format", "pdf")
    page.click("main button[type=submit]")
    page.locator(".errorlist").first.wait_for()
    assert "capacité" in page.locator("main").inner_text().lower()
    assert not Export.objects.exists()
    _shoot(page, "treaty-reports-without-capacity-fr-desktop")

    # With a capacity, the report is written by the worker and its row turns into a download.
    ClearanceCapacity.objects.create(start_year=2020, teams=4, m2_per_team_per_year=250_000)
    page.check("#id_report_1")
    page.fill("#id_year", "2024")
    page.select_option("#id_format", "pdf")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/exports/")
    row = page.locator("table.exports tbody tr").first
    page.wait_for_function("() => document.querySelector('table.exports tbody tr').dataset.status === 'done'",
                           timeout=60_000)  # fmt: skip
    assert Export.objects.get(resource="article5").status == "done"
    assert row.locator("a[download]").count() == 1
    _shoot(page, "exports-done-report-fr-desktop")
    context.close()
