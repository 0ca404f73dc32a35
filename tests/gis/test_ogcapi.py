"""OGC API – Features at /ogcapi/ (gis.ogcapi): the documents, paging, `bbox` and `datetime` (dates
known to the month or the year read as their period), queryables and property filters, other CRS,
against the database, scoping as the API, refusals, the HTML representation, and GDAL's OAPIF driver
copying a collection into a GeoPackage through a live server."""

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
from hazards.models import HazardArea, LandClass
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
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


def _hazard(user, organisation, lon_lat=MOPTI, size=0.01, when=datetime.date(2024, 3, 15)) -> HazardArea:
    return hazard_area_create(user=user, organisation=organisation, data={
        "land_class": "cha", "geometry": square(lon_lat, size), "evidence": "direct", "survey_date": when,
        "contamination_types": ["uxo"]})  # fmt: skip


def _incident(user, organisation, when: datetime.date, lon_lat=MOPTI, precision="day") -> Incident:
    return incident_create(user=user, organisation=organisation, data={
        "incident_class": "improvised", "incident_date": when, "location": point(lon_lat),
        "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on",
        "date_precision": precision})  # fmt: skip


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


def test_conformance_claims_core_geojson_html_crs_and_queryables(client, officer):
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
    assert hazards["extent"]["spatial"]["crs"] == CRS84
    # CRS84 first, as stored; then latitude first, Web Mercator and the UTM zones Mali spans.
    assert hazards["crs"] == [
        CRS84,
        f"{EPSG}4326",
        f"{EPSG}3857",
        *(f"{EPSG}{z}" for z in (32628, 32629, 32630, 32631)),
    ]
    assert hazards["storageCrs"] == CRS84
    queryables = {link["type"]: link["href"] for link in hazards["links"]
                  if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/queryables"}  # fmt: skip
    assert queryables == {
        "application/schema+json": "http://testserver/ogcapi/collections/hazard-areas/queryables?f=json",
        "text/html": "http://testserver/ogcapi/collections/hazard-areas/queryables?f=html",
    }
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


def test_datetime_reads_a_date_known_to_the_month_or_year_as_its_whole_period(client, officer, partner_user, partner_a):
    # An old register: 2003 only (stored as 1 January), and February 2024 (stored as the 1st).
    year = _incident(partner_user, partner_a, datetime.date(2003, 1, 1), precision="year").pk
    month = _incident(partner_user, partner_a, datetime.date(2024, 2, 1), precision="month").pk
    day = _incident(partner_user, partner_a, datetime.date(2024, 2, 1)).pk
    client.force_login(officer)
    items = "/ogcapi/collections/incidents/items?datetime="
    assert _ids(client, f"{items}2003-06-01/2003-06-30") == [year]
    assert _ids(client, f"{items}2003-12-31") == [year]
    assert _ids(client, f"{items}2002-12-31") == []
    assert _ids(client, f"{items}2024-02-20") == [month]
    assert _ids(client, f"{items}2024-02-01") == [month, day]
    assert _ids(client, f"{items}2024-02-02/..") == [month]
    assert _ids(client, f"{items}2004-01-01/..") == [month, day]
    assert _ids(client, f"{items}../2003-01-01") == [year]
    precisions = {f["id"]: f["properties"]["date_precision"] for f in
                  _get(client, "/ogcapi/collections/incidents/items").json()["features"]}  # fmt: skip
    assert precisions == {year: "year", month: "month", day: "day"}


# --- Queryables and property filters --------------------------------------------------------------


def test_queryables_describe_each_property_from_its_field(client, officer):
    client.force_login(officer)
    response = _get(client, "/ogcapi/collections/hazard-areas/queryables")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    document = response.json()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == "http://testserver/ogcapi/collections/hazard-areas/queryables"
    properties = document["properties"]
    assert set(properties) == {"reference", "land_class", "hazard_status", "status", "survey_date",
                               "date_precision", "area_m2", "remaining_area_m2", "contamination_types", "admin_area",
                               "geometry"}  # fmt: skip
    assert properties["land_class"]["enum"] == [value for value, _ in LandClass.choices]
    assert properties["land_class"]["title"] == "Land class"
    assert properties["survey_date"] == {"title": "Survey date", "type": "string", "format": "date"}
    assert properties["area_m2"]["type"] == "number"
    assert properties["contamination_types"]["type"] == "array"
    assert "uxo" in properties["contamination_types"]["items"]["enum"]
    assert properties["admin_area"]["type"] == "string"
    assert properties["geometry"] == {"x-ogc-role": "primary-geometry", "format": "geometry-multipolygon"}
    html = _get(client, "/ogcapi/collections/hazard-areas/queryables?f=html")
    assert html["Content-Type"].startswith("text/html")
    assert "<code>land_class</code>" in html.content.decode()
    incidents = _get(client, "/ogcapi/collections/land-release-activities/queryables").json()["properties"]
    assert incidents["hazard_area"]["type"] == "integer"


def test_properties_filter_the_items_by_equality_and_any_of_a_list(client, officer, partner_user, partner_a):
    cha = _hazard(partner_user, partner_a, MOPTI)
    sha = hazard_area_create(user=partner_user, organisation=partner_a, data={
        "land_class": "sha", "geometry": square(GAO, 0.01), "evidence": "indirect", "survey_date": "2024-03-15",
        "contamination_types": ["improvised_ap_mines", "uxo"]})  # fmt: skip
    approved = _approved(_hazard(partner_user, partner_a, (MOPTI[0] + 0.1, MOPTI[1])))
    client.force_login(officer)
    items = "/ogcapi/collections/hazard-areas/items"
    assert _ids(client, f"{items}?land_class=sha") == [sha.pk]
    assert _ids(client, f"{items}?land_class=cha,sha") == [cha.pk, sha.pk, approved.pk]
    assert _ids(client, f"{items}?contamination_types=improvised_ap_mines") == [sha.pk]
    assert _ids(client, f"{items}?contamination_types=uxo") == [cha.pk, sha.pk, approved.pk]
    assert _ids(client, f"{items}?status=approved&land_class=cha") == [approved.pk]
    assert _ids(client, f"{items}?admin_area={cha.admin_area.pcode}&status=draft") == [cha.pk]
    assert _ids(client, f"{items}?survey_date=2024-03-15&land_class=sha") == [sha.pk]
    page = _get(client, f"{items}?land_class=cha&limit=1").json()
    assert page["numberMatched"] == 2
    assert "land_class=cha" in next(link["href"] for link in page["links"] if link["rel"] == "next")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("land_class=minefield", "land_class: unknown value “minefield”; one of: sha, cha, indication, "
                                 "ammunition_storage, eod_spot_task."),
        ("survey_date=15/03/2024", "survey_date: “15/03/2024” is not a date (YYYY-MM-DD)."),
        ("area_m2=big", "area_m2: “big” is not a number."),
        ("area_m2=nan", "area_m2: “nan” is not a number."),
        ("crs=EPSG:4326", "crs: unsupported CRS “EPSG:4326”. Supported: " + ", ".join(
            [CRS84, f"{EPSG}4326", f"{EPSG}3857", *(f"{EPSG}{z}" for z in (32628, 32629, 32630, 32631))]) + "."),
        (f"bbox=-1e12,0,1e12,1000000&bbox-crs={EPSG}32630", "bbox: this box has no place on the earth in that CRS."),
        (f"bbox=400000,1600000,300000,1700000&bbox-crs={EPSG}32630",
         "bbox: give the lower corner first, then the upper corner, in the CRS's axis order."),
        (f"bbox=a,b,c,d&bbox-crs={EPSG}3857", "bbox: give four numbers separated by commas, in the axis order of "
                                               "bbox-crs."),
    ],
)  # fmt: skip
def test_bad_filters_and_crs_are_a_400_naming_the_parameter(client, officer, query, message):
    client.force_login(officer)
    response = _get(client, f"/ogcapi/collections/hazard-areas/items?{query}")
    assert (response.status_code, response.json()) == (400, {"code": 400, "description": message})


# --- Other CRS ---------------------------------------------------------------------------------------


def _transformed(table: str, pk: int, srid: int) -> list[float]:
    column = "location" if table == "incidents_incident" else "geometry"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_DumpPoints(ST_Transform({column}, %s))).geom AS g "  # noqa: S608
            f"FROM {table} WHERE id = %s) AS p LIMIT 1",
            [srid, pk],
        )
        return list(cursor.fetchone())


def test_features_come_in_the_crs_asked_for_and_say_so(client, officer, partner_user, partner_a):
    incident = _incident(partner_user, partner_a, datetime.date(2024, 3, 15))
    hazard = _hazard(partner_user, partner_a)
    client.force_login(officer)
    for srid in (32630, 3857):
        response = _get(client, f"/ogcapi/collections/incidents/items/{incident.pk}?crs={EPSG}{srid}")
        assert response["Content-Crs"] == f"<{EPSG}{srid}>"
        coordinates = response.json()["geometry"]["coordinates"]
        assert coordinates == pytest.approx(_transformed("incidents_incident", incident.pk, srid), abs=0.001)
    # EPSG:4326 puts latitude first.
    response = _get(client, f"/ogcapi/collections/incidents/items?crs={EPSG}4326")
    assert response["Content-Crs"] == f"<{EPSG}4326>"
    assert response.json()["features"][0]["geometry"]["coordinates"] == [MOPTI[1], MOPTI[0]]
    assert _get(client, "/ogcapi/collections/incidents/items")["Content-Crs"] == f"<{CRS84}>"
    area = _get(client, f"/ogcapi/collections/hazard-areas/items?crs={EPSG}32630").json()["features"][0]
    first = area["geometry"]["coordinates"][0][0][0]
    assert first == pytest.approx(_transformed("hazards_hazardarea", hazard.pk, 32630), abs=0.001)


def test_a_box_in_another_crs_selects_as_the_same_box_in_degrees(client, officer, partner_user, partner_a):
    mopti = _incident(partner_user, partner_a, datetime.date(2024, 3, 15))
    _incident(partner_user, partner_a, datetime.date(2024, 3, 15), GAO)
    client.force_login(officer)
    x, y = _transformed("incidents_incident", mopti.pk, 32630)
    items = "/ogcapi/collections/incidents/items"
    utm = f"{x - 1000},{y - 1000},{x + 1000},{y + 1000}"
    assert _ids(client, f"{items}?bbox={utm}&bbox-crs={EPSG}32630") == [mopti.pk]
    # Latitude first in EPSG:4326.
    lon, lat = MOPTI
    assert _ids(client, f"{items}?bbox={lat - 0.01},{lon - 0.01},{lat + 0.01},{lon + 0.01}&bbox-crs={EPSG}4326") == [
        mopti.pk
    ]
    # A box of the same numbers read longitude first holds nothing.
    assert _ids(client, f"{items}?bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}&bbox-crs={EPSG}4326") == []


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
        "incident_date": "2024-03-15", "date_precision": "day", "status": "draft",
        "admin_area": incident.admin_area.pcode,
    }  # fmt: skip
    assert {link["rel"] for link in feature["links"]} == {"self", "alternate", "collection"}
    area = _get(client, f"/ogcapi/collections/hazard-areas/items/{hazard.pk}").json()
    assert area["geometry"]["type"] == "MultiPolygon"
    assert area["properties"]["area_m2"] == pytest.approx(hazard.area_m2)
    assert area["properties"]["contamination_types"] == ["uxo"]
    assert set(area["properties"]) == {"reference", "land_class", "hazard_status", "status", "survey_date",
                                       "date_precision", "area_m2", "remaining_area_m2", "contamination_types",
                                       "admin_area"}  # fmt: skip


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

    # The national layers in one GeoPackage: the whole service copied, one layer a collection.
    national = tmp_path / "national.gpkg"
    _gdal("ogr2ogr", "-f", "GPKG", str(national), source, key=key)
    with sqlite3.connect(national) as geopackage:
        layers = {name for (name,) in geopackage.execute("SELECT table_name FROM gpkg_contents")}
        counts = {name: geopackage.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in layers}  # noqa: S608
    assert layers == {*RECORD_COLLECTIONS, "admin-areas"}
    assert counts["hazard-areas"] == len(expected)
    assert counts["admin-areas"] == admin_areas_current().count()
