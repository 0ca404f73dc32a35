"""The Content-Security-Policy as Chromium enforces it: every main page, the admin and Swagger UI run
their scripts with no inline script allowed, and no page trips the policy. The map's background
tiles come from a tile server of our own on another origin (MAP_TILE_URL), which img-src allows."""

import http.server
import struct
import threading
import zlib

import pytest
from django.contrib.auth.models import Group

from tests.browser.conftest import SCREENSHOTS
from tests.pages.records import AUTHORITY_PAGES, approve_all, every_page, one_of_each

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tombouctou-2026!"

# Every violation the page sees, handed to the test whichever page it happened on.
LISTEN = """
document.addEventListener('securitypolicyviolation', function (event) {
  window.reportViolation([event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(' '));
});
"""


def _png() -> bytes:
    # One grey 256-pixel tile, written by hand: the tile server needs no imaging library.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc8" * 256 for _ in range(256))
    header = struct.pack(">IIBBBBB", 256, 256, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def tile_server():
    """A tile server on another origin (another port), counting the tiles asked of it."""
    tile = _png()
    served = []

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", served
    server.shutdown()
    server.server_close()


@pytest.fixture
def officer_with_records(django_db_setup, django_user_model, settings, tile_server):
    from django.core.management import call_command

    from accounts.models import Profile
    from mineaction.settings.base import _tile_source
    from reference.models import Organisation

    # Transactional tests start from empty tables: load Mali again.
    call_command("load_reference_data", verbosity=0)
    # The settings read MAP_TILE_URL once: the policy is built again with the same helper.
    settings.MAP_TILE_URL = tile_server[0] + "/{z}/{x}/{y}.png"
    directives = dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
    directives["img-src"] = ["'self'", "data:", *_tile_source(settings.MAP_TILE_URL)]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}

    officer = django_user_model.objects.create_superuser("awa.officer", "awa@example.org", PASSWORD)
    Profile.objects.create(user=officer, organisation=Organisation.objects.get(acronym="CNLPAL"))
    officer.groups.add(Group.objects.get(name="information_management_officer"))
    partner = django_user_model.objects.create_user("moussa.partner", password=PASSWORD)
    Profile.objects.create(user=partner, organisation=Organisation.objects.get(acronym="HI"))
    partner.groups.add(Group.objects.get(name="partner_data_manager"))
    records = one_of_each(partner=partner, organisation=partner.profile.organisation)
    # Approved: the dashboard draws its charts, the map its incidents.
    approve_all(records)
    return records


def _scripts_ran(page, name: str) -> None:
    """What each page's scripts do that a person sees, waited for: a policy that blocked them fails here."""
    if name == "map":
        page.wait_for_selector("#map[data-loaded=true]", timeout=20_000)
        assert page.evaluate("() => window.imsMap.counts.incidents") >= 1
    elif name == "dashboard":
        page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length > 0", timeout=10_000)
    elif name in {"incidents record", "hazards record"}:
        page.wait_for_selector("main .ol-viewport canvas", timeout=15_000)
    elif name == "hazards new":
        page.wait_for_selector("main .ol-viewport", timeout=15_000)
    elif name == "admin change form":
        page.wait_for_selector("#id_location_map canvas", timeout=15_000)
        assert page.evaluate("() => geodjango_location.featureOverlay.getSource().getFeatures().length") == 1
    elif name == "admin index":
        # The admin's theme script marks the page as soon as it runs.
        page.wait_for_selector("html[data-theme]", timeout=5_000)
    elif name == "api docs":
        # Swagger UI fetched the schema and drew its operations (it draws the first tags' first).
        page.wait_for_function("() => document.querySelectorAll('.opblock').length > 5", timeout=20_000)
        assert "/api/v1/admin-areas/" in page.locator("#swagger-ui").inner_text()


def test_every_main_page_runs_its_scripts_under_the_policy(browser, live_server, officer_with_records, tile_server):
    records = officer_with_records
    tiles_origin, tiles_served = tile_server
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    violations: list[str] = []
    console: list[str] = []
    context.expose_function("reportViolation", lambda text: violations.append(text))
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

    page.goto(f"{live_server.url}/accounts/login/")
    _scripts_ran(page, "login")
    page.fill("#id_username", "awa.officer")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    pages = {
        **every_page(records),
        **AUTHORITY_PAGES,
        "admin index": "/admin/",
        "admin change form": f"/admin/incidents/incident/{records['incidents'].pk}/change/",
        "api docs": "/api/docs/",
    }
    seen = {}
    for name, url in pages.items():
        answer = page.goto(f"{live_server.url}{url}")
        assert answer.status == 200, (name, answer.status)
        policy = dict(part.strip().split(" ", 1) for part in answer.headers["content-security-policy"].split(";"))
        assert policy["script-src"] == "'self'", name
        _scripts_ran(page, name)
        # Late violations (a tile, a chart) are reported before the next page replaces this one.
        page.wait_for_timeout(200)
        seen[name] = len(violations)
        if name in {"map", "api docs", "admin change form"}:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"csp-{name.replace(' ', '-')}.png"))

    csp_console = [line for line in console if "Content Security Policy" in line or "Content-Security-Policy" in line]
    assert violations == [], seen
    assert csp_console == []
    assert [line for line in console if line.startswith("pageerror")] == []
    # The map drew its background from the tile server, another origin that img-src names.
    assert any(path.endswith(".png") for path in tiles_served), tiles_origin

    # The listener does hear the policy: an inline script and an inline handler are both refused.
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.inlineRan = true';
          document.body.appendChild(script);
          const button = document.createElement('button');
          button.setAttribute('onclick', 'window.handlerRan = true');
          document.body.appendChild(button);
          button.click();
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => [window.inlineRan, window.handlerRan]") == [None, None]
    assert sorted(v.split()[0] for v in violations) == ["script-src-attr", "script-src-elem"], violations
    context.close()
