"""The dashboard as a director opens it after logging in, in Debian's Chromium: what the first load
weighs, the charts drawn, no serious accessibility fault, on a wide screen, on a phone and in Arabic."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Bamako-2024!"
# Document, style sheets and scripts of the first load, uncompressed (the test server does not compress).
BUDGET = 300 * 1024


@pytest.fixture
def director(django_db_setup, django_user_model):
    from django.core.management import call_command

    from demo.services import demo_data_generate

    # Transactional tests start from empty tables: load Mali again, and the demonstration records.
    call_command("load_reference_data", verbosity=0)
    demo_data_generate(scale="demo", seed=1, log=lambda line: None)
    return django_user_model.objects.create_superuser("mariam", "mariam@example.org", PASSWORD)


def _log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/?next=/")
    page.fill("#id_username", "mariam")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _first_load(page, url: str) -> dict[str, int]:
    """Bytes of each response of a load (headers and body, as the network carries them uncompressed)."""
    responses = []

    def listen(response):
        responses.append(response)

    page.on("response", listen)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("response", listen)
    sizes = {}
    for response in responses:
        kind = response.request.resource_type
        if kind in ("document", "stylesheet", "script"):
            counted = response.request.sizes()
            sizes[response.url] = counted["responseBodySize"] + counted["responseHeadersSize"]
    return sizes


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def test_the_first_page_is_light_drawn_and_accessible_on_a_wide_screen(page, live_server, director, screenshot):
    _log_in(page, live_server)
    # A first load: nothing from the browser's cache.
    devtools = page.context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})

    sizes = _first_load(page, f"{live_server.url}/")

    total = sum(sizes.values())
    assert total < BUDGET, f"{total:,} bytes: {sizes}"
    assert any(url.endswith("/static/vendor/chartjs/chart.umd.min.js") for url in sizes)
    assert page.locator("html").get_attribute("lang") == "fr"
    # Headline cards first, then a drawn chart for every figure.
    assert page.locator(".cards .card").count() == 7
    assert page.locator("canvas[data-figure]").count() == 10
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-figure]')].every(c => window.Chart.getChart(c))"
    )
    assert drawn
    # The table alternative opens from its summary.
    page.locator("#casualties-by-year summary").click()
    assert page.locator("#casualties-by-year table caption").is_visible()
    assert _serious(page) == []
    screenshot("dashboard-desktop-fr")
    print(f"dashboard first load: {total:,} bytes in {len(sizes)} responses")


def test_the_dashboard_fits_a_phone(browser, live_server, director):
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    try:
        _log_in(page, live_server)
        page.goto(f"{live_server.url}/", wait_until="networkidle")
        # Nothing wider than the screen: no sideways scrolling of the page.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        card = page.locator(".cards .card").first.bounding_box()
        assert card["width"] < 180
        chart = page.locator("#casualties-by-year canvas").bounding_box()
        assert 250 < chart["width"] <= 360
        assert _serious(page) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "dashboard-phone-fr-top.png"))
        page.screenshot(path=str(SCREENSHOTS / "dashboard-phone-fr.png"), full_page=True)
        page.locator("#casualties-by-year summary").click()
        page.locator("#casualties-by-year").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "dashboard-phone-fr-casualties.png"))
        page.locator("#casualties-by-device").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "dashboard-phone-fr-devices.png"))
    finally:
        context.close()


def test_the_charts_read_right_to_left_in_arabic(browser, live_server, director):
    context = browser.new_context(locale="ar", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        _log_in(page, live_server)
        page.goto(f"{live_server.url}/", wait_until="networkidle")
        assert page.locator("html").get_attribute("dir") == "rtl"
        # Right to left: the years run from the right, the first year stands right of the last.
        order = page.evaluate(
            """() => {
                const canvas = document.querySelector('[data-figure="casualties-by-year"]');
                const scale = window.Chart.getChart(canvas).scales.x;
                return [scale.getPixelForValue(scale.min), scale.getPixelForValue(scale.max)];
            }"""
        )
        assert order[0] > order[1]
        assert _serious(page) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "dashboard-desktop-ar.png"), full_page=True)
    finally:
        context.close()
