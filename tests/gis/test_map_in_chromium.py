"""The map in Debian's Chromium: logged in through the real form, layers loaded by box, on a desktop
and on a 360-pixel phone, in French, with no serious accessibility fault."""

import pytest

from tests.geo import GAO, MOPTI, point, square

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Mopti-Carte-2024!"


@pytest.fixture
def records(django_db_setup, django_user_model):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from accounts.models import Profile
    from hazards.services import hazard_area_create
    from incidents.services import incident_create
    from reference.models import Organisation

    # Transactional tests start from empty tables: load Mali again.
    call_command("load_reference_data", verbosity=0)
    officer = django_user_model.objects.create_user("fatou.carte", password=PASSWORD)
    Profile.objects.create(user=officer, organisation=Organisation.objects.get(acronym="CNLPAL"))
    officer.groups.add(Group.objects.get(name="information_management_officer"))
    partner = Organisation.objects.get(acronym="HI")
    incident_data = {"incident_class": "improvised", "incident_date": "2024-02-03",
                     "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on"}  # fmt: skip
    incidents = [
        incident_create(user=officer, organisation=partner, data={**incident_data, "location": point(where)})
        for where in (MOPTI, GAO)
    ]
    hazard = hazard_area_create(
        user=officer,
        organisation=partner,
        data={"land_class": "cha", "geometry": square(MOPTI, 0.05), "evidence": "direct",
              "survey_date": "2024-02-01", "contamination_types": ["improvised_ap_mines"]},
    )  # fmt: skip
    return {"incidents": incidents, "hazard": hazard}


def _log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/?next=/map/")
    page.fill("input[name=username]", "fatou.carte")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(f"{live_server.url}/map/")


def _wait_loaded(page):
    page.wait_for_selector('#map[data-loaded="true"]', timeout=20_000)


def test_the_map_shows_the_records_in_french_on_desktop_and_phone(page, live_server, records, screenshot):
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, live_server)
    _wait_loaded(page)

    assert page.locator("html").get_attribute("lang") == "fr"
    counts = page.evaluate("() => window.imsMap.counts")
    assert counts["incidents"] == 2
    assert counts["hazards"] == 1
    assert counts["boundaries"] >= 9
    status = page.locator("#map-status").inner_text()
    assert "Incidents : 2" in status or "Incidents: 2" in status
    assert "Zoom" not in status
    # The keyboard route: each record in view is a link to its page, beside the map.
    links = page.locator("#map-records a")
    references = set(links.all_inner_texts())
    assert {incident.reference for incident in records["incidents"]} <= references
    assert records["hazard"].reference in references
    # No base map is configured: nothing leaves the site.
    assert all(url.startswith(live_server.url) for url in requests), [
        u for u in requests if not u.startswith(live_server.url)
    ]
    screenshot("map-desktop-fr")

    # A click on the hazardous area opens its popup with the link to its record.
    page.evaluate(
        """([lon, lat]) => { const map = window.imsMap.map;
             map.getView().setCenter(ol.proj.fromLonLat([lon, lat])); map.getView().setZoom(12); }""",
        [MOPTI[0] + 0.04, MOPTI[1] + 0.04],
    )
    page.wait_for_function("() => window.imsMap.answers.hazards && window.imsMap.answers.hazards.zoom === 12")
    _wait_loaded(page)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator("#map-popup")
    popup.wait_for(state="visible")
    assert records["hazard"].reference in popup.inner_text()
    screenshot("map-popup-fr")

    # Unticking a layer empties it, and says so in the counts.
    page.uncheck("#layer-incidents")
    _wait_loaded(page)
    assert "incidents" not in page.evaluate("() => window.imsMap.counts")

    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert errors == []


def test_the_map_fits_a_phone_and_reads_right_to_left(browser, live_server, records):
    from tests.browser.conftest import SCREENSHOTS

    for locale, name in (("fr-FR", "map-phone-fr"), ("ar", "map-phone-ar")):
        context = browser.new_context(locale=locale, viewport={"width": 360, "height": 740})
        page = context.new_page()
        _log_in(page, live_server)
        _wait_loaded(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        # Nothing of the map's page is wider than the screen: no sideways scrolling on a phone.
        wide = page.evaluate(
            """() => [...document.querySelectorAll('main, main *')].filter(e => {
                       const r = e.getBoundingClientRect(); return r.width && (r.right > 360.5 || r.left < -0.5); })
                   .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().left)}`)"""
        )
        assert wide == []
        map_box = page.locator("#map").bounding_box()
        panel_box = page.locator(".map-panel").bounding_box()
        assert map_box["width"] >= 300
        # On a phone the layers and legend come under the map.
        assert panel_box["y"] >= map_box["y"] + map_box["height"]
        assert page.evaluate("() => window.imsMap.counts.incidents") == 2
        if locale == "ar":
            assert page.locator("html").get_attribute("dir") == "rtl"
        context.close()


def test_a_record_page_draws_its_geometry_with_the_boundaries(page, live_server, records, settings):
    import copy

    from community.services import community_report_create
    from reference.models import Organisation

    # The context processor that the settings register for the small maps.
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append("gis.context.map_settings")
    settings.TEMPLATES = templates
    report = community_report_create(
        user=records["hazard"].created_by,
        organisation=Organisation.objects.get(acronym="HI"),
        data={"report_date": "2024-02-03", "subject": "item", "location": point(MOPTI), "item_category": "uxo",
              "item_count": 1},
    )  # fmt: skip
    boundaries = []
    page.on("response", lambda r: "/map/layers/boundaries/" in r.url and boundaries.append(r.status))
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/community-reports/{report.pk}/")

    page.wait_for_selector('#minimap[data-loaded="true"] canvas', timeout=20_000)
    page.wait_for_function("() => document.body.dataset.boundariesUrl === '/map/layers/boundaries/'")
    page.wait_for_timeout(500)
    assert boundaries == [200]
    assert page.locator("body").get_attribute("data-tile-url") is None
    page.locator("#minimap").screenshot(path=str(_screens() / "minimap-community-report.png"))


def test_a_click_on_the_small_map_fills_latitude_and_longitude(page, live_server, records):
    from core.forms import LatLonField

    # The real widget, on a page of its own: the forms that load pick-point.js are other pages'.
    field_html = LatLonField().widget.render("location", None, attrs={"id": "id_location"})
    html = f"""<!doctype html><html lang="fr"><head><title>t</title></head>
      <body data-map-extent="-12.27,10.14,4.24,25.0"
            data-map-text='{{"pickLabel": "Carte du point", "pickHint": "Cliquez sur la carte"}}'>
      <main><form>{field_html}</form></main>
      <script src="/static/js/small-map.js"></script><script src="/static/js/pick-point.js"></script></body></html>"""
    page.route(
        f"{live_server.url}/pick-point-harness/", lambda route: route.fulfill(body=html, content_type="text/html")
    )
    page.goto(f"{live_server.url}/pick-point-harness/")
    # The map opens on demand (OpenLayers is fetched then, on a slow link only by who wants it).
    page.click("[data-point-picker] .pick-open")

    picker = page.locator("[data-point-picker] .pick-map")
    picker.wait_for()
    assert picker.get_attribute("aria-label") == "Carte du point"
    assert page.locator("link[href='/static/vendor/ol/ol.css']").count() == 1
    page.wait_for_timeout(300)
    box = picker.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # A single click is told from a double click after a moment.
    page.wait_for_function("() => document.getElementById('id_location_1').value !== ''")

    latitude = float(page.input_value("#id_location_0"))
    longitude = float(page.input_value("#id_location_1"))
    # The centre of the country's extent, to about a pixel.
    assert abs(latitude - 17.57) < 0.5
    assert abs(longitude - (-4.015)) < 0.5

    # Typing still works, a decimal comma too, and the map follows it.
    page.fill("#id_location_0", "14,4953")
    page.fill("#id_location_1", "-4,1962")
    page.dispatch_event("#id_location_1", "change")
    assert page.input_value("#id_location_0") == "14,4953"
    picker.focus()
    page.keyboard.press("Enter")
    assert abs(float(page.input_value("#id_location_0")) - 14.4953) < 0.01
    assert abs(float(page.input_value("#id_location_1")) - (-4.1962)) < 0.01


def _screens():
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def test_a_dense_tile_shows_counted_groups_and_says_to_zoom_in(page, live_server, records, monkeypatch, screenshot):
    from gis import tiles

    # Any tile holding a record is too full to send it: every record is counted in cells.
    monkeypatch.setattr(tiles, "RECORDS_UP_TO", {"incidents": 0, "hazard-areas": 0})
    _log_in(page, live_server)
    _wait_loaded(page)

    answers = page.evaluate("() => window.imsMap.answers")
    assert answers["incidents"]["grouped"] is True
    assert answers["incidents"]["records"] == 2
    assert answers["hazards"]["grouped"] is True
    assert answers["hazards"]["records"] == 1
    # Nothing to list one by one: the list says to zoom in, and no record link is offered.
    assert page.locator("#map-records a").count() == 0
    # Under incidents and under hazardous areas.
    assert page.locator("#map-records").inner_text().count("Zoomez pour tout voir.") == 2
    screenshot("map-grouped-fr")

    # Zoomed in past the zooms that group, the incident at Mopti is a record again, with its link.
    page.evaluate(
        """([lon, lat]) => { const map = window.imsMap.map;
             map.getView().setCenter(ol.proj.fromLonLat([lon, lat])); map.getView().setZoom(11); }""",
        list(MOPTI),
    )
    page.wait_for_function("() => window.imsMap.answers.incidents && window.imsMap.answers.incidents.zoom === 11")
    _wait_loaded(page)
    assert page.evaluate("() => window.imsMap.counts.incidents") == 1
    assert records["incidents"][0].reference in page.locator("#map-records").inner_text()


def test_the_map_reads_its_big_layers_from_vector_tiles(page, live_server, records):
    tiles_asked = []
    page.on("response", lambda r: "/tiles/" in r.url and tiles_asked.append((r.url, r.status, r.headers)))
    boxes = []
    page.on("request", lambda r: "/map/layers/" in r.url and boxes.append(r.url))
    _log_in(page, live_server)
    _wait_loaded(page)
    layers = {url.split("/tiles/")[1].split("/")[0] for url, status, headers in tiles_asked}
    assert layers == {"hazard-areas", "incidents", "admin-areas"}
    assert all(status == 200 for _, status, _ in tiles_asked)
    assert all(headers["content-type"] == "application/vnd.mapbox-vector-tile" for *_, headers in tiles_asked)
    # The small layers still come by box; the tiled ones never do.
    assert {url.split("/map/layers/")[1].split("/")[0] for url in boxes} == {"activities"}
