"""The web application as its users meet it, in Debian's Chromium: a partner enters an incident
with two casualties (a wrong value first), an officer approves it from the queue, the dashboard
counts the two casualties in that month and région, and the map shows the incident. Every page
passes axe-core in every language; screenshots in French, on a desktop and on a phone."""

import csv
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from tests.browser.conftest import SCREENSHOTS
from tests.pages.records import AUTHORITY_PAGES, approve_all, every_page, one_of_each

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
PASSWORD = "Tombouctou-2026!"


@pytest.fixture
def people(django_db_setup, django_user_model):
    from django.core.management import call_command

    from accounts.models import Profile
    from reference.models import Organisation

    # Transactional tests start from empty tables: load Mali again.
    call_command("load_reference_data", verbosity=0)
    users = {}
    for username, acronym, role in (
        ("moussa.partner", "HI", "partner_data_manager"),
        ("awa.officer", "CNLPAL", "information_management_officer"),
    ):
        user = django_user_model.objects.create_user(username, password=PASSWORD)
        Profile.objects.create(user=user, organisation=Organisation.objects.get(acronym=acronym))
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    return users


def _context(browser, viewport=DESKTOP, locale="fr-FR"):
    return browser.new_context(locale=locale, viewport=viewport)


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _casualties_in(page, live_server, month: str, region: str) -> int:
    """The dashboard's casualties of one month in one région, from its CSV (columns: month, month as
    YYYY-MM, killed, injured, casualties)."""
    answer = page.request.get(f"{live_server.url}/dashboard/casualties-by-month.csv?admin_area={region}")
    assert answer.ok
    rows = list(csv.reader(io.StringIO(answer.text())))[1:]
    return sum(int(row[-1]) for row in rows if row[1] == month)


def test_a_reported_incident_reaches_the_dashboard_and_the_map(browser, live_server, people):
    officer_context = _context(browser)
    officer = officer_context.new_page()
    _log_in(officer, live_server, "awa.officer")
    before = _casualties_in(officer, live_server, "2024-03", "ML07")

    partner_context = _context(browser)
    partner = partner_context.new_page()
    _log_in(partner, live_server, "moussa.partner")
    partner.goto(f"{live_server.url}/incidents/new/")
    partner.select_option("#id_incident_class", "improvised")
    partner.fill("#id_incident_date", "2024-03-15")
    partner.fill("#id_location_0", "16.27")
    partner.fill("#id_location_1", "-0.04")
    partner.select_option("#id_device_category_reported", "improvised_av_mine")
    partner.select_option("#id_how_activated", "stepped_on")
    partner.select_option("#id_casualties-0-outcome", "injured")
    partner.select_option("#id_casualties-0-sex", "female")
    partner.fill("#id_casualties-0-age", "9")
    partner.click("button[name=add_casualty]")
    partner.wait_for_selector("#id_casualties-1-outcome")
    partner.select_option("#id_casualties-1-outcome", "killed")
    partner.select_option("#id_casualties-1-sex", "male")
    partner.fill("#id_casualties-1-age", "130")
    _shoot(partner, "incident-form-fr")
    partner.click("main .actions button[type=submit]")

    # The wrong age is refused next to its field, in French; nothing was saved.
    error = partner.locator("#casualties-1-row .has-error .errorlist")
    error.wait_for()
    assert "130" in error.inner_text() or "âge" in error.inner_text().lower()
    assert partner.locator("#id_casualties-1-age").get_attribute("aria-invalid") == "true"
    _shoot(partner, "incident-form-error-fr")
    from incidents.models import Incident

    assert not Incident.objects.exists()

    partner.fill("#id_casualties-1-age", "30")
    partner.click("main .actions button[type=submit]")
    partner.wait_for_url(f"{live_server.url}/incidents/*/")
    incident = Incident.objects.get()
    assert incident.casualties.count() == 2
    partner.click("form:has(input[name=action][value=submit]) button")
    partner.wait_for_selector(".messages .success")
    incident.refresh_from_db()
    assert incident.status == "submitted"

    officer.goto(f"{live_server.url}/queue/")
    waiting = officer.locator("li.queue-record", has=officer.locator(f"a:text-is('{incident.reference}')"))
    waiting.locator("form:has(input[name=action][value=approve]) button").click()
    officer.wait_for_selector(".messages .success")
    incident.refresh_from_db()
    assert incident.status == "approved"

    assert _casualties_in(officer, live_server, "2024-03", "ML07") == before + 2

    officer.goto(f"{live_server.url}/map/")
    officer.wait_for_selector("#map[data-loaded=true]", timeout=20000)
    assert officer.evaluate("() => window.imsMap.counts.incidents") >= 1
    assert officer.locator(f"main a:has-text('{incident.reference}')").count() >= 1
    partner_context.close()
    officer_context.close()


def test_screenshots_of_the_main_pages_in_french_on_a_desktop_and_a_phone(browser, live_server, people):
    partner = people["partner_data_manager"]
    approve_all(one_of_each(partner=partner, organisation=partner.profile.organisation))
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = _context(browser, viewport)
        page = context.new_page()
        _log_in(page, live_server, "awa.officer")
        for name, url in (("dashboard", "/"), ("map", "/map/"), ("incident-list", "/incidents/"),
                          ("incident-new", "/incidents/new/"), ("hazard-list", "/hazards/")):  # fmt: skip
            page.goto(f"{live_server.url}{url}")
            if name == "map":
                page.wait_for_selector("#map[data-loaded=true]", timeout=20000)
            # Nothing wider than the screen: a phone user never scrolls sideways to read a page.
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (name, size, overflow)
            _shoot(page, f"{name}-fr-{size}")
        context.close()
    assert (SCREENSHOTS / "dashboard-fr-phone.png").exists()


def test_a_page_without_the_map_weighs_under_300_kb_on_first_load(browser, live_server, people):
    one_of_each(
        partner=people["partner_data_manager"], organisation=people["partner_data_manager"].profile.organisation
    )
    context = _context(browser)
    _log_in(context.new_page(), live_server, "awa.officer")
    session = context.storage_state()
    context.close()
    weights = {}
    for url in ("/", "/incidents/", "/incidents/new/", "/queue/", "/hazards/", "/risk-education/new/"):
        # A new context has an empty cache: every asset counts, as on a first visit.
        cold = browser.new_context(locale="fr-FR", storage_state=session)
        page = cold.new_page()
        page.goto(f"{live_server.url}{url}", wait_until="load")
        # Bytes over the wire: the document and every resource it loaded (none came from a cache).
        weights[url] = page.evaluate(
            """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
                 .reduce((sum, entry) => sum + entry.transferSize, 0)"""
        )
        cold.close()
    assert min(weights.values()) > 10_000, weights
    assert max(weights.values()) < 300_000, weights


def test_every_page_passes_axe_core_in_every_language(browser, live_server, people):
    from axe_playwright_python.sync_playwright import Axe

    partner = people["partner_data_manager"]
    records = one_of_each(partner=partner, organisation=partner.profile.organisation)
    pages = {**every_page(records), **AUTHORITY_PAGES, "login": "/accounts/login/"}
    axe = Axe()
    problems = {}
    for code, _name in settings.LANGUAGES:
        context = _context(browser, locale=code)
        page = context.new_page()
        _log_in(page, live_server, "awa.officer")
        for name, url in pages.items():
            if name == "login":
                context.clear_cookies()
            page.goto(f"{live_server.url}{url}")
            if name == "map":
                page.wait_for_selector("#map[data-loaded=true]", timeout=20000)
            assert page.locator("html").get_attribute("lang") == code, (code, name)
            # The page itself, not the login page it would send a stranger to.
            assert name == "login" or "/accounts/login/" not in page.url, (code, name)
            violations = axe.run(page).response["violations"]
            serious = [
                f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
            if serious:
                problems[f"{code} {name}"] = serious
        context.close()

    assert problems == {}
