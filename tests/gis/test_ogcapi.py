"""OGC API – Features at /ogcapi/ (gis.ogcapi): the documents, paging, `bbox` and `datetime` against
the database, scoping as the API, refusals, the HTML representation, and GDAL's OAPIF driver copying
a collection into a GeoPackage through a live server."""

import datetime
import re
import sqlite3
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from accounts import roles
from core.policy import SYSTEM
from core.workflow import record_transition
from hazards.models import HazardArea
from hazards.services import hazard_area_create
from incidents.models import Incident
from incidents.services import incident_create
from reference.selectors import admin_areas_current
from tests.geo import GAO, MOPTI, point, square
from tests.people import member

pytestmark = pytest.mark.django_db

RECORD_COLLECTIONS = ["hazard-areas", "land-release-activities", "incidents", "risk-education-sessions"]
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
]


@pytest.fixture
def charlie(django_user_model, partner_b):
    """Partner B's data manager: should have no access to partner A's drafts."""
    return member(django_user_model, "charlie.partner", partner_b, roles.PARTNER_DATA_MANAGER)


def _hazard(user, organisation, lon_lat=MOPTI, size=0.01, when=datetime.date(2024, 3, 15)) -> HazardArea:
    return hazard_area_create(user=user, organisation=organisation, data={
        "land_class": "cha", "geometry": square(lon_lat, size), "evidence": "direct", "survey_date": when,
        "contamination_types": ["uxo"]})  # fmt: skip


def _incident(user, organisation, when: datetime.date, lon_lat=MOPTI) -> Incident:
    return incident_create(user=user, organisation=organisation, data={
        "incident_class": "improvised", "incident_date": when, "location": point(lon_lat),
        "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on"})  # fmt: skip


def _approved(record):
    record_transition(record=record, user=SYSTEM, action="submit")
    return record_transition(record=type(record).objects.get(pk=record.pk), user=SYSTEM, action="approve")


def _get(client, url, **headers):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en", **headers)


def _ids(client, url) -> list[int]:
    response = _get(client, url)
    assert response.status_code == 200, response.content
    return [feature["id"] for feature in response.json()["features"]]


# --- Documents -----------------------------------------------------------------------------------


def test_the_landing_page_links_to_conformance_and_data(client, officer):
    client.force_login(officer)
    response = _get(client, "/ogcapi/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    links = {(link["rel"], link["type"]): link["href"] for link in response.json()["links"]}
    assert links == {
        ("self", "application/json"): "http://testserver/ogcapi/?f=json",
        ("alternate", "text/html"): "http://testserver/ogcapi/?f=html",
        ("conformance", "application/json"): "http://testserver/ogcapi/conformance?f=json",
        ("conformance", "text/html"): "http://testserver/ogcapi/conformance?f=html",
        ("data", "application/json"): "http://testserver/ogcapi/collections?f=json",
        ("data", "text/html"): "http://testserver/ogcapi/collections?f=html",
    }


def test_conformance_claims_core_geojson_and_html_only(client, officer):
    client.force_login(officer)
    assert _get(client, "/ogcapi/conformance").json() == {"conformsTo": CONFORMANCE}


def test_collections_are_the_readable_record_types_and_the_boundaries_with_the_countrys_extent(client, officer):
    client.force_login(officer)
    document = _get(client, "/ogcapi/collections").json()
    assert [c["id"] for c in document["collections"]] == [*RECORD_COLLECTIONS, "admin-areas"]
    country = admin_areas_current().get(level=0).geometry.extent
    hazards = document["collections"][0]
    assert hazards["title"] == "Hazardous areas"
    assert hazards["itemType"] == "feature"
    assert hazards["extent"]["spatial"]["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert hazards["extent"]["spatial"]["bbox"][0] == pytest.approx(list(country), abs=0.01)
    items = {link["type"]: link["href"] for link in hazards["links"] if link["rel"] == "items"}
    assert items == {
        "application/geo+json": "http://testserver/ogcapi/collections/hazard-areas/items?f=json",
        "text/html": "http://testserver/ogcapi/collections/hazard-areas/items?f=html",
    }
    assert _get(client, "/ogcapi/collections/hazard-areas").json() == hazards


def test_a_role_that_reads_no_records_sees_the_boundaries_only(client, django_user_model, authority):
    viewer = member(django_user_model, "vera.viewer", authority, roles.VIEWER)
    client.force_login(viewer)
    assert [c["id"] for c in _get(client, "/ogcapi/collections").json()["collections"]] == ["admin-areas"]
    # Not revealed: the same answer as a collection that does not exist.
    for url in ("/ogcapi/collections/incidents", "/ogcapi/collections/incidents/items",
                "/ogcapi/collections/no-such-thing/items"):  # fmt: skip
        response = _get(client, url)
        assert (response.status_code, response.json()) == (404, {"code": 404, "description": "Not found."})
    assert _get(client, "/ogcapi/collections/admin-areas/items?limit=1").status_code == 200


# --- Items ---------------------------------------------------------------------------------------


def test_following_next_links_gives_every_visible_record_once(client, officer, partner_user, partner_a):
    made = {_hazard(partner_user, partner_a, (MOPTI[0] + i * 0.02, MOPTI[1])).pk for i in range(7)}
    client.force_login(officer)
    url, seen, pages = "/ogcapi/collections/hazard-areas/items?limit=3", [], []
    while url:
        response = _get(client, url)
        assert response["Content-Type"] == "application/geo+json"
        page = response.json()
        assert page["numberMatched"] == 7
        assert page["numberReturned"] == len(page["features"])
        pages.append((page["numberReturned"], sorted(link["rel"] for link in page["links"])))
        seen += [feature["id"] for feature in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert sorted(seen) == sorted(made)
    assert pages == [(3, ["collection", "next", "self"]), (3, ["collection", "next", "prev", "self"]),
                     (1, ["collection", "prev", "self"])]  # fmt: skip


def test_the_default_limit_is_100_and_the_largest_1000(client, officer):
    client.force_login(officer)
    assert _get(client, "/ogcapi/collections/admin-areas/items").json()["numberReturned"] == min(
        100, admin_areas_current().count()
    )
    assert _get(client, "/ogcapi/collections/admin-areas/items?limit=1000").status_code == 200
    assert _get(client, "/ogcapi/collections/admin-areas/items?limit=1001").status_code == 400


def test_a_page_costs_the_same_queries_whatever_its_size(client, officer, partner_user, partner_a):
    for i in range(6):
        _hazard(partner_user, partner_a, (MOPTI[0] + i * 0.02, MOPTI[1]))
    client.force_login(officer)
    counts = []
    for limit in (1, 6):
        with CaptureQueriesContext(connection) as queries:
            assert _get(client, f"/ogcapi/collections/hazard-areas/items?limit={limit}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_bbox_keeps_the_records_reaching_into_the_box(client, officer, partner_user, partner_a):
    mopti = _hazard(partner_user, partner_a, MOPTI)
    gao = _hazard(partner_user, partner_a, GAO)
    # Reaches into the box from its west side only.
    edge = _hazard(partner_user, partner_a, (MOPTI[0] - 0.015, MOPTI[1]), size=0.02)
    client.force_login(officer)
    west, south = MOPTI
    box = f"{west - 0.001},{south - 0.001},{west + 0.05},{south + 0.05}"
    expected = set(HazardArea.objects.filter(geometry__intersects=square((west - 0.001, south - 0.001), 0.051))
                   .values_list("pk", flat=True))  # fmt: skip
    assert expected == {mopti.pk, edge.pk}
    assert set(_ids(client, f"/ogcapi/collections/hazard-areas/items?bbox={box}")) == expected
    gao_box = f"{GAO[0] - 0.1},{GAO[1] - 0.1},{GAO[0] + 0.1},{GAO[1] + 0.1}"
    assert _ids(client, f"/ogcapi/collections/hazard-areas/items?bbox={gao_box}") == [gao.pk]


def test_datetime_filters_on_the_record_types_date(client, officer, partner_user, partner_a):
    days = [datetime.date(2024, 1, 10), datetime.date(2024, 3, 15), datetime.date(2024, 6, 20)]
    january, march, june = (_incident(partner_user, partner_a, day).pk for day in days)
    client.force_login(officer)
    items = "/ogcapi/collections/incidents/items?datetime="
    assert _ids(client, f"{items}2024-03-15") == [march]
    assert _ids(client, f"{items}2024-03-15T10:30:00Z") == [march]
    assert _ids(client, f"{items}2024-01-10/2024-03-15") == [january, march]
    assert _ids(client, f"{items}../2024-03-14") == [january]
    assert _ids(client, f"{items}2024-03-16/..") == [june]
    assert _ids(client, f"{items}/2024-01-10") == [january]
    expected = list(Incident.objects.filter(incident_date__gte=days[1]).order_by("pk").values_list("pk", flat=True))
    assert _ids(client, f"{items}2024-03-15T00:00:00Z/..") == expected


def test_a_feature_carries_its_postgis_geometry_and_non_personal_properties(client, officer, partner_user, partner_a):
    incident = _incident(partner_user, partner_a, datetime.date(2024, 3, 15))
    hazard = _hazard(partner_user, partner_a)
    client.force_login(officer)
    response = _get(client, f"/ogcapi/collections/incidents/items/{incident.pk}")
    assert response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["id"] == incident.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": list(MOPTI)}
    incident.refresh_from_db()
    assert feature["properties"] == {
        "reference": incident.reference, "incident_class": "improvised", "device_category": incident.device_category,
        "incident_date": "2024-03-15", "status": "draft", "admin_area": incident.admin_area.pcode,
    }  # fmt: skip
    assert {link["rel"] for link in feature["links"]} == {"self", "alternate", "collection"}
    area = _get(client, f"/ogcapi/collections/hazard-areas/items/{hazard.pk}").json()
    assert area["geometry"]["type"] == "MultiPolygon"
    assert area["properties"]["area_m2"] == pytest.approx(hazard.area_m2)
    assert area["properties"]["contamination_types"] == ["uxo"]
    assert set(area["properties"]) == {"reference", "land_class", "hazard_status", "status", "survey_date", "area_m2",
                                       "remaining_area_m2", "contamination_types", "admin_area"}  # fmt: skip


def test_an_unknown_feature_is_a_404(client, officer):
    client.force_login(officer)
    assert _get(client, "/ogcapi/collections/incidents/items/999999").status_code == 404
    assert _get(client, "/ogcapi/collections/incidents/items/abc").status_code == 404


def test_a_partner_never_sees_another_partners_drafts_the_officer_does(
    client, officer, partner_user, partner_a, charlie, partner_b
):
    draft_a = _hazard(partner_user, partner_a, MOPTI)
    draft_b = _hazard(charlie, partner_b, (MOPTI[0] + 0.05, MOPTI[1]))
    approved_b = _approved(_hazard(charlie, partner_b, (MOPTI[0] + 0.1, MOPTI[1])))
    seen = {}
    for name, user in (("officer", officer), ("a", partner_user), ("b", charlie)):
        client.force_login(user)
        seen[name] = set(_ids(client, "/ogcapi/collections/hazard-areas/items"))
    assert seen == {"officer": {draft_a.pk, draft_b.pk, approved_b.pk}, "a": {draft_a.pk, approved_b.pk},
                    "b": {draft_b.pk, approved_b.pk}}  # fmt: skip
    client.force_login(partner_user)
    assert _get(client, f"/ogcapi/collections/hazard-areas/items/{draft_b.pk}").status_code == 404
    assert _get(client, f"/ogcapi/collections/hazard-areas/items/{approved_b.pk}").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "Give the limit as a whole number from 1 to 1000."),
        ("limit=ten", "Give the limit as a whole number from 1 to 1000."),
        ("offset=-1", "Give the offset as a whole number, 0 or more."),
        ("bbox=1,2,3", "Give the box as west,south,east,north in degrees (WGS84)."),
        ("bbox=3,2,1,4", "The box must have west < east and south < north, within -180..180 and -90..90."),
        ("datetime=yesterday", "Give datetime as a date or date-time (RFC 3339), or an interval of two of them "
                               "separated by “/”, with “..” for an open end."),
        ("datetime=2024-13-45", "Give datetime as a date or date-time (RFC 3339), or an interval of two of them "
                                "separated by “/”, with “..” for an open end."),
        ("datetime=2024-05-01/2024-01-01", "The interval's start comes after its end."),
        ("datetime=../..", "An interval needs at least one end."),
        ("colour=red", "Unknown parameter: colour."),
        ("f=xml", "Ask for f=json or f=html."),
    ],
)  # fmt: skip
def test_invalid_parameters_are_a_400_with_a_message(client, officer, query, message):
    client.force_login(officer)
    response = _get(client, f"/ogcapi/collections/incidents/items?{query}")
    assert (response.status_code, response.json()) == (400, {"code": 400, "description": message})


def test_boundaries_have_no_dates_to_filter_on(client, officer):
    client.force_login(officer)
    response = _get(client, "/ogcapi/collections/admin-areas/items?datetime=2024-01-01")
    assert (response.status_code, response.json()["description"]) == (400, "This collection has no dates.")


def test_an_anonymous_reader_is_refused_and_a_token_is_the_users(client, partner_user, partner_a, charlie, partner_b):
    for url in ("/ogcapi/", "/ogcapi/collections", "/ogcapi/collections/hazard-areas/items"):
        response = _get(client, url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == 401
    assert _get(client, "/ogcapi/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    own = _hazard(charlie, partner_b)
    _hazard(partner_user, partner_a)
    key = Token.objects.create(user=charlie).key
    response = _get(client, "/ogcapi/collections/hazard-areas/items", HTTP_AUTHORIZATION=f"Token {key}")
    assert [feature["id"] for feature in response.json()["features"]] == [own.pk]


def test_browsers_get_html_and_f_wins_over_accept(client, officer, partner_user, partner_a):
    hazard = _hazard(partner_user, partner_a)
    client.force_login(officer)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for url in ("/ogcapi/", "/ogcapi/conformance", "/ogcapi/collections", "/ogcapi/collections/hazard-areas"):
        response = _get(client, url, HTTP_ACCEPT=browser)
        assert (response.status_code, response["Content-Type"]) == (200, "text/html; charset=utf-8"), url
    page = _get(client, "/ogcapi/collections/hazard-areas/items", HTTP_ACCEPT=browser).content.decode()
    assert hazard.reference in page
    assert f'href="/ogcapi/collections/hazard-areas/items/{hazard.pk}?f=html"' in page
    one = _get(client, f"/ogcapi/collections/hazard-areas/items/{hazard.pk}?f=html").content.decode()
    assert hazard.reference in one
    assert "MultiPolygon" in one
    assert _get(client, "/ogcapi/collections?f=json", HTTP_ACCEPT=browser)["Content-Type"] == "application/json"
    # A client that names no format gets JSON.
    assert _get(client, "/ogcapi/collections", HTTP_ACCEPT="*/*")["Content-Type"] == "application/json"


# --- GDAL's OAPIF driver -------------------------------------------------------------------------


def _gdal(*arguments: str, key: str) -> str:
    # Fixed programs and arguments of this test, never user input.
    done = subprocess.run(  # noqa: S603
        [*arguments, "--config", "GDAL_HTTP_HEADERS", f"Authorization: Token {key}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_gdal_copies_the_hazard_areas_a_user_sees_into_a_geopackage(live_server, django_user_model, tmp_path):
    from django.core.management import call_command

    from reference.models import Organisation

    # Transactional tests start from empty tables: load Mali again.
    call_command("load_reference_data", verbosity=0)
    hi, drc = Organisation.objects.get(acronym="HI"), Organisation.objects.get(acronym="DRC")
    moussa = member(django_user_model, "moussa.partner", hi, roles.PARTNER_DATA_MANAGER)
    charlie = member(django_user_model, "charlie.partner", drc, roles.PARTNER_DATA_MANAGER)
    # Six visible areas: GDAL's pages of four below make it follow a `next` link.
    for i in range(5):
        _hazard(moussa, hi, (MOPTI[0] + i * 0.03, MOPTI[1]), size=0.01 + i * 0.002)
    _approved(_hazard(charlie, drc, GAO, size=0.02))
    _hazard(charlie, drc, (GAO[0] + 0.1, GAO[1]))
    visible = HazardArea.objects.filter(organisation=hi) | HazardArea.objects.filter(status="approved")
    expected = {row["reference"]: row["area_m2"] for row in visible.values("reference", "area_m2")}
    assert len(expected) == 6
    key = Token.objects.create(user=moussa).key
    source = f"OAPIF:{live_server.url}/ogcapi/"

    listing = _gdal("ogrinfo", "-ro", "-so", "-q", source, key=key)
    for collection in [*RECORD_COLLECTIONS, "admin-areas"]:
        assert collection in listing

    target = tmp_path / "out.gpkg"
    _gdal("ogr2ogr", "-f", "GPKG", str(target), source, "hazard-areas", "-oo", "PAGE_SIZE=4", key=key)
    with sqlite3.connect(target) as geopackage:
        rows = geopackage.execute('SELECT reference, area_m2, hex(geom) FROM "hazard-areas"').fetchall()
    assert {reference: area for reference, area, _ in rows} == pytest.approx(expected)
    # The copied geometries' areas, computed by PostGIS on the spheroid, match the database within 0.1%.
    with connection.cursor() as cursor:
        for reference, _, blob in rows:
            # A GeoPackage geometry is a header (8 bytes and a 32-byte envelope here) and then WKB.
            header = 8 + {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(int(blob[6:8], 16) >> 1) & 0x07]
            cursor.execute("SELECT ST_Area(ST_SetSRID(ST_GeomFromWKB(decode(%s, 'hex')), 4326)::geography)",
                           [blob[header * 2 :]])  # fmt: skip
            assert cursor.fetchone()[0] == pytest.approx(expected[reference], rel=0.001)
    summary = _gdal("ogrinfo", "-ro", "-so", str(target), "hazard-areas", key=key)
    assert re.search(r"^Feature Count: (\d+)$", summary, re.MULTILINE).group(1) == str(len(expected))
