"""Vector tiles of the map (gis.tiles): each tile holds exactly the records of its square that the
user may read, as the API scopes them; cells at low zoom count every record once; ETag and 304;
refusals."""

import json
import math

import mapbox_vector_tile
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.authtoken.models import Token

from accounts import roles
from core.models import RecordStatus
from core.workflow import record_delete, record_transition
from demo.services import demo_data_delete
from gis import tiles
from gis.selectors import boundary_level
from hazards.services import hazard_area_create
from incidents.services import incident_create
from reference.country import pick_name
from reference.models import AdministrativeArea
from tests.geo import MOPTI, point, square
from tests.people import member

pytestmark = pytest.mark.django_db

MVT = "application/vnd.mapbox-vector-tile"
INCIDENT_PROPERTIES = {"reference", "incident_class", "device_category", "incident_date", "status", "in_tile"}
HAZARD_PROPERTIES = {"reference", "land_class", "hazard_status", "release", "area_m2", "remaining_area_m2", "in_tile"}
ENVELOPE = "ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326)"
# Records are sent with those of a 16-pixel band around the tile, which OpenLayers needs to draw
# them whole at the edges; cells count the tile's own square only.
BUFFERED = "ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => 0.0625), 4326)"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data set (1,000 incidents, 300 hazardous areas of six organisations, in every
    workflow state), committed for this module and deleted after it."""
    with django_db_blocker.unblock(), translation.override("en"):
        call_command("generate_demo_data", "--scale", "demo", "--seed", "11", verbosity=0)
        with connection.cursor() as cursor:
            # Some deleted records, which no tile may show.
            cursor.execute("UPDATE incidents_incident SET deleted_at = now() WHERE id % 19 = 0")
            cursor.execute("UPDATE hazards_hazardarea SET deleted_at = now() WHERE id % 19 = 0")
        try:
            yield
        finally:
            demo_data_delete()


def tile_of(lon_lat, z: int) -> tuple[int, int]:
    """The tile holding a place at zoom z (the web map's tiling, EPSG:3857)."""
    lon, lat = lon_lat
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _rows(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _visible(table: str, organisation) -> tuple[str, list]:
    """DOMAIN.md, "The people": the authority reads every record, a partner the approved ones and
    its own organisation's in any state; nobody reads deleted ones."""
    if organisation is None:
        return f"{table}.deleted_at IS NULL", []
    return f"{table}.deleted_at IS NULL AND ({table}.status = 'approved' OR {table}.organisation_id = %s)", [
        organisation.pk
    ]


def _expected_incidents(z, x, y, organisation=None, *, buffered=True) -> dict[int, tuple]:
    scope, params = _visible("i", organisation)
    square = BUFFERED if buffered else ENVELOPE
    rows = _rows(
        "SELECT i.id, i.reference, i.incident_class, i.device_category, i.incident_date, i.status, "  # noqa: S608
        f"ST_AsText(ST_AsMVTGeom(ST_Transform(i.location, 3857), ST_TileEnvelope(%s, %s, %s), 4096, 256, true)), "
        f"ST_Intersects(i.location, {ENVELOPE}) "
        f"FROM incidents_incident i WHERE {scope} AND ST_Intersects(i.location, {square})",
        [z, x, y, z, x, y, *params, z, x, y],
    )
    return {row[0]: row[1:] for row in rows}


def _expected_hazards(z, x, y, organisation=None) -> dict[int, tuple]:
    scope, params = _visible("h", organisation)
    rows = _rows(
        "SELECT h.id, h.reference, h.land_class, h.hazard_status, h.area_m2, h.remaining_area_m2, "  # noqa: S608
        "CASE WHEN h.hazard_status IN ('closed', 'handed_over') THEN 'released' WHEN h.area_cancelled_m2 > 0 "
        "OR h.area_reduced_m2 > 0 OR h.area_cleared_m2 > 0 THEN 'partially_released' ELSE 'open' END, "
        "ST_Intersects(ST_SetSRID(ST_MakePoint((ST_XMin(h.geometry) + ST_XMax(h.geometry)) / 2, "
        f"(ST_YMin(h.geometry) + ST_YMax(h.geometry)) / 2), 4326), {ENVELOPE}) "
        f"FROM hazards_hazardarea h WHERE {scope} AND ST_Intersects(h.geometry, {BUFFERED})",
        [z, x, y, *params, z, x, y],
    )
    return {row[0]: row[1:] for row in rows}


def _tile(client, layer, z, x, y, **headers):
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", **headers)


def _features(response, layer) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == MVT
    if not response.content:
        return []
    decoded = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
    assert set(decoded) == {layer}
    assert decoded[layer]["extent"] == 4096
    return decoded[layer]["features"]


def _busiest_tile(z: int, organisation=None) -> tuple[int, int]:
    """Of the tiles of zoom z where this reader must miss some incidents (deleted ones, another
    partner's unapproved ones), the one holding the most incidents the reader sees (a few at least)."""
    scope, params = _visible("i", organisation)
    seen: dict[tuple[int, int], int] = {}
    hidden: set[tuple[int, int]] = set()
    rows = _rows(f"SELECT ST_X(i.location), ST_Y(i.location), {scope} FROM incidents_incident i", params)  # noqa: S608
    for lon, lat, visible in rows:
        key = tile_of((lon, lat), z)
        if visible:
            seen[key] = seen.get(key, 0) + 1
        else:
            hidden.add(key)
    best = max(hidden & set(seen), key=seen.get)
    assert seen[best] >= 5
    return best


# --- Records: exactly those of the tile, as the reader may see them ------------------------------


@pytest.mark.parametrize("reader", ["officer", "partner_user", "charlie"])
def test_an_incident_tile_holds_exactly_the_records_of_its_square_the_reader_sees(demo, client, request, reader):
    user = request.getfixturevalue(reader)
    organisation = None if reader == "officer" else user.profile.organisation
    # The first zoom of records rather than cells.
    z = tiles.INCIDENT_CELLS_BELOW
    x, y = _busiest_tile(z, organisation)
    client.force_login(user)
    features = _features(_tile(client, "incidents", z, x, y), "incidents")
    expected = _expected_incidents(z, x, y, organisation)
    assert sorted(f["id"] for f in features) == sorted(expected)
    for feature in features:
        reference, incident_class, device_category, incident_date, status, where, in_tile = expected[feature["id"]]
        assert feature["properties"] == {
            "reference": reference,
            "incident_class": incident_class,
            "device_category": device_category,
            "incident_date": incident_date.isoformat(),
            "status": status,
            # Owned by this tile, or by a neighbour and sent in this tile's buffer.
            "in_tile": in_tile,
        }
        assert feature["geometry"]["type"] == "Point"
        assert where == "POINT({} {})".format(*feature["geometry"]["coordinates"])


@pytest.mark.parametrize("reader", ["officer", "partner_user"])
def test_a_hazard_tile_holds_exactly_the_areas_reaching_into_its_square(demo, client, request, reader):
    user = request.getfixturevalue(reader)
    organisation = None if reader == "officer" else user.profile.organisation
    z = tiles.HAZARD_CELLS_BELOW
    counts = _rows(
        f"SELECT x, y, count(*) FROM (SELECT floor((ST_X(c) + 180) / 360 * 2 ^ {z})::int AS x, "  # noqa: S608
        f"floor((1 - asinh(tan(radians(ST_Y(c)))) / pi()) / 2 * 2 ^ {z})::int AS y FROM "
        "(SELECT ST_PointOnSurface(geometry) AS c FROM hazards_hazardarea WHERE deleted_at IS NULL) AS p) AS t "
        "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1"
    )
    x, y, _ = counts[0]
    client.force_login(user)
    features = _features(_tile(client, "hazard-areas", z, x, y), "hazard-areas")
    expected = _expected_hazards(z, x, y, organisation)
    assert len(expected) >= 3
    assert sorted(f["id"] for f in features) == sorted(expected)
    for feature in features:
        reference, land_class, hazard_status, area_m2, remaining_area_m2, release, in_tile = expected[feature["id"]]
        assert feature["properties"] == {
            "reference": reference,
            "land_class": land_class,
            "hazard_status": hazard_status,
            "release": release,
            "area_m2": round(area_m2),
            "remaining_area_m2": round(remaining_area_m2),
            "in_tile": in_tile,
        }
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_an_area_too_small_to_draw_is_sent_as_a_point(client, officer, partner_user, partner_a, past):
    # About 1 m across: nothing of it is left on a zoom-9 grid of 20 m.
    tiny = hazard_area_create(user=partner_user, organisation=partner_a, data={
        "land_class": "eod_spot_task", "geometry": square(MOPTI, 0.00001), "evidence": "direct",
        "survey_date": past, "contamination_types": ["uxo"]})  # fmt: skip
    large = hazard_area_create(user=partner_user, organisation=partner_a, data={
        "land_class": "cha", "geometry": square((MOPTI[0] + 0.02, MOPTI[1] + 0.02), 0.01), "evidence": "direct",
        "survey_date": past, "contamination_types": ["uxo"]})  # fmt: skip
    client.force_login(officer)
    z = tiles.HAZARD_CELLS_BELOW
    features = {f["id"]: f for f in _features(_tile(client, "hazard-areas", z, *tile_of(MOPTI, z)), "hazard-areas")}
    assert features[tiny.pk]["geometry"]["type"] == "Point"
    assert features[large.pk]["geometry"]["type"] == "Polygon"
    assert features[tiny.pk]["properties"]["reference"] == tiny.reference


def test_a_partner_never_sees_another_partners_drafts_the_authority_sees_all(
    client, officer, partner_user, partner_a, charlie, partner_b, past
):
    def incident(user, organisation, offset):
        return incident_create(user=user, organisation=organisation, data={
            "incident_class": "improvised", "incident_date": past,
            "location": point((MOPTI[0] + offset, MOPTI[1] + offset)),
            "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on"})  # fmt: skip

    draft_a = incident(partner_user, partner_a, 0.001)
    draft_b = incident(charlie, partner_b, 0.002)
    assert draft_a.status == draft_b.status == RecordStatus.DRAFT
    z = 14
    x, y = tile_of(MOPTI, z)
    seen = {}
    for name, user in (("officer", officer), ("a", partner_user), ("b", charlie)):
        client.force_login(user)
        seen[name] = {f["id"] for f in _features(_tile(client, "incidents", z, x, y), "incidents")}
    # (Other records of the tile, approved demo data, are everybody's.)
    ours = {draft_a.pk, draft_b.pk}
    assert {name: ids & ours for name, ids in seen.items()} == {
        "officer": {draft_a.pk, draft_b.pk}, "a": {draft_a.pk}, "b": {draft_b.pk}}  # fmt: skip
    # Deleted: gone from every tile, its writer's too.
    record_delete(record=draft_a, user=partner_user)
    client.force_login(partner_user)
    assert draft_a.pk not in {f["id"] for f in _features(_tile(client, "incidents", z, x, y), "incidents")}


def test_a_token_reads_the_tiles_as_the_api_scoped_to_its_user(
    client, partner_user, partner_a, charlie, partner_b, past
):
    draft = incident_create(user=charlie, organisation=partner_b, data={
        "incident_class": "improvised", "incident_date": past, "location": point(MOPTI),
        "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on"})  # fmt: skip
    z = 14
    x, y = tile_of(MOPTI, z)
    own = Token.objects.create(user=charlie).key
    other = Token.objects.create(user=partner_user).key
    by_owner = _features(_tile(client, "incidents", z, x, y, HTTP_AUTHORIZATION=f"Token {own}"), "incidents")
    by_other = _features(_tile(client, "incidents", z, x, y, HTTP_AUTHORIZATION=f"Token {other}"), "incidents")
    assert draft.pk in {f["id"] for f in by_owner}
    assert draft.pk not in {f["id"] for f in by_other}
    refused = _tile(client, "incidents", z, x, y, HTTP_AUTHORIZATION="Token not-a-token")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"


# --- Low zoom: cells with counts ------------------------------------------------------------------


@pytest.fixture
def dense(monkeypatch):
    """Every tile at a zoom that may group is too full to send its records: the demo data set is
    far smaller than a country's."""
    monkeypatch.setattr(tiles, "RECORDS_UP_TO", {"incidents": 0, "hazard-areas": 0})


@pytest.mark.parametrize("reader", ["officer", "partner_user"])
def test_low_zoom_incident_cells_count_every_record_of_the_tile(demo, dense, client, request, reader):
    user = request.getfixturevalue(reader)
    organisation = None if reader == "officer" else user.profile.organisation
    z = 6
    x, y = _busiest_tile(z, organisation)
    client.force_login(user)
    features = _features(_tile(client, "incidents", z, x, y), "incidents")
    expected = _expected_incidents(z, x, y, organisation, buffered=False)
    assert len(expected) > len(features) > 0
    assert sum(f["properties"]["count"] for f in features) == len(expected)
    side = tiles.EXTENT // tiles.CELL_UNITS
    cells = set()
    for feature in features:
        # A cell carries a count alone: no record's id or attributes.
        assert set(feature["properties"]) == {"count"}
        assert feature.get("id") in (None, 0)
        cx, cy = feature["geometry"]["coordinates"]
        assert 0 <= cx <= tiles.EXTENT
        assert 0 <= cy <= tiles.EXTENT
        cells.add((min(int(cx // tiles.CELL_UNITS), side - 1), min(int(cy // tiles.CELL_UNITS), side - 1)))
    # Each cell's point lies in its own cell: never two points for one cell.
    assert len(cells) == len(features)


def _mali_tiles(z: int) -> list[tuple[int, int]]:
    west, north = tile_of((-12.3, 25.0), z)
    east, south = tile_of((4.3, 10.1), z)
    return [(x, y) for x in range(west, east + 1) for y in range(north, south + 1)]


@pytest.mark.parametrize("reader", ["officer", "partner_user"])
def test_across_a_zoom_every_record_is_counted_once(demo, dense, client, request, reader):
    user = request.getfixturevalue(reader)
    organisation = None if reader == "officer" else user.profile.organisation
    client.force_login(user)
    z = 5
    incidents = hazards = area = 0
    for x, y in _mali_tiles(z):
        for feature in _features(_tile(client, "incidents", z, x, y), "incidents"):
            incidents += feature["properties"]["count"]
        for feature in _features(_tile(client, "hazard-areas", z, x, y), "hazard-areas"):
            assert set(feature["properties"]) == {"count", "area_m2", "remaining_area_m2"}
            hazards += feature["properties"]["count"]
            area += feature["properties"]["area_m2"]
    for table, counted in (("incidents_incident", incidents), ("hazards_hazardarea", hazards)):
        scope, params = _visible("t", organisation)
        assert counted == _rows(f"SELECT count(*) FROM {table} t WHERE {scope}", params)[0][0]  # noqa: S608
    scope, params = _visible("h", organisation)
    total = _rows(f"SELECT sum(area_m2) FROM hazards_hazardarea h WHERE {scope}", params)[0][0]  # noqa: S608
    # Each cell's sum is rounded to the square metre.
    assert abs(area - total) <= len(_mali_tiles(z)) * 256


def test_where_some_tiles_hold_cells_and_others_records_each_record_is_owned_once(demo, client, officer, monkeypatch):
    # Limits between the demo data's sparse and dense tiles: both kinds at zoom 6.
    monkeypatch.setattr(tiles, "RECORDS_UP_TO", {"incidents": 25, "hazard-areas": 8})
    client.force_login(officer)
    z = 6
    for layer, table in (("incidents", "incidents_incident"), ("hazard-areas", "hazards_hazardarea")):
        counted, kinds = 0, set()
        for x, y in _mali_tiles(z):
            features = _features(_tile(client, layer, z, x, y), layer)
            for feature in features:
                if "count" in feature["properties"]:
                    counted += feature["properties"]["count"]
                    kinds.add("cells")
                elif feature["properties"]["in_tile"]:
                    counted += 1
                    kinds.add("records")
        assert kinds == {"cells", "records"}, layer
        assert counted == _rows(f"SELECT count(*) FROM {table} WHERE deleted_at IS NULL")[0][0]  # noqa: S608


def test_low_zoom_hazard_cells_count_the_areas_whose_box_centre_lies_in_the_tile(demo, dense, client, officer):
    z = 6
    x, y = tile_of(MOPTI, z)
    client.force_login(officer)
    features = _features(_tile(client, "hazard-areas", z, x, y), "hazard-areas")
    centre = (
        "ST_SetSRID(ST_MakePoint((ST_XMin(geometry) + ST_XMax(geometry)) / 2, "
        "(ST_YMin(geometry) + ST_YMax(geometry)) / 2), 4326)"
    )
    count, area = _rows(
        f"SELECT count(*), sum(area_m2) FROM hazards_hazardarea WHERE deleted_at IS NULL "  # noqa: S608
        f"AND ST_Intersects({centre}, {ENVELOPE})",
        [z, x, y],
    )[0]
    assert count > 0
    assert sum(f["properties"]["count"] for f in features) == count
    assert abs(sum(f["properties"]["area_m2"] for f in features) - area) <= len(features)


def test_a_sparse_tile_at_low_zoom_sends_its_records_up_to_the_limit(demo, client, officer, monkeypatch):
    z = 6
    x, y = _busiest_tile(z)
    expected = _expected_incidents(z, x, y)
    client.force_login(officer)
    # As many records as the limit: each is sent, with its id and attributes.
    monkeypatch.setattr(tiles, "RECORDS_UP_TO", {**tiles.RECORDS_UP_TO, "incidents": len(expected)})
    features = _features(_tile(client, "incidents", z, x, y), "incidents")
    assert sorted(f["id"] for f in features) == sorted(expected)
    assert all(set(f["properties"]) == INCIDENT_PROPERTIES for f in features)
    records_etag = _tile(client, "incidents", z, x, y)["ETag"]
    # One more than the limit: cells of the tile's own square, and another version, so that a kept
    # copy of the records is not taken for the cells.
    monkeypatch.setattr(tiles, "RECORDS_UP_TO", {**tiles.RECORDS_UP_TO, "incidents": len(expected) - 1})
    response = _tile(client, "incidents", z, x, y, HTTP_IF_NONE_MATCH=records_etag)
    features = _features(response, "incidents")
    assert all(set(f["properties"]) == {"count"} for f in features)
    assert sum(f["properties"]["count"] for f in features) == len(_expected_incidents(z, x, y, buffered=False))
    assert response["ETag"] != records_etag


# --- Boundaries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "mopti"),
    [("fr", "Mopti"), ("en", "Mopti Region"), ("ar", "موبتي"), ("es", "Región de Mopti"), ("pt", "Mopti")],
)
def test_boundaries_hold_the_current_areas_of_the_zooms_levels_named_in_the_readers_language(
    client, partner_user, language, mopti
):
    region = AdministrativeArea.objects.get(valid_to=None, level=1, geometry__contains=point(MOPTI))
    AdministrativeArea.objects.filter(pk=region.pk).update(
        name_en="Mopti Region", names={"ar": "موبتي", "es": "Región de Mopti"}
    )
    z = 8
    x, y = tile_of(MOPTI, z)
    client.force_login(partner_user)
    features = _features(_tile(client, "admin-areas", z, x, y, HTTP_ACCEPT_LANGUAGE=language), "admin-areas")
    rows = _rows(
        "SELECT id, pcode, level, name_fr, name_en, names FROM reference_administrativearea "  # noqa: S608
        f"WHERE valid_to IS NULL AND level <= %s AND ST_Intersects(geometry, {BUFFERED})",
        [boundary_level(z), z, x, y],
    )
    assert {row[2] for row in rows} == set(range(boundary_level(z) + 1))
    assert sorted(f["id"] for f in features) == sorted(row[0] for row in rows)
    # Named as everywhere else (reference.country.pick_name): the reader's language, else the
    # country's default (French for Mali).
    expected = {
        pk: {"pcode": pcode, "level": level,
             "name": pick_name({**json.loads(names or "{}"), "fr": name_fr, "en": name_en}, language, default=pcode)}
        for pk, pcode, level, name_fr, name_en, names in rows
    }  # fmt: skip
    assert {f["id"]: f["properties"] for f in features} == expected
    assert expected[region.pk]["name"] == mopti


def test_boundaries_change_their_version_with_the_language(client, partner_user):
    client.force_login(partner_user)
    x, y = tile_of(MOPTI, 8)
    french = _tile(client, "admin-areas", 8, x, y, HTTP_ACCEPT_LANGUAGE="fr")
    english = _tile(client, "admin-areas", 8, x, y, HTTP_ACCEPT_LANGUAGE="en")
    assert french["ETag"] != english["ETag"]
    again = _tile(client, "admin-areas", 8, x, y, HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=french["ETag"])
    assert again.status_code == 200


# --- Caching --------------------------------------------------------------------------------------


def test_an_unchanged_tile_answers_304_without_being_drawn(client, officer, partner_user, partner_a, past):
    incident_create(user=partner_user, organisation=partner_a, data={
        "incident_class": "improvised", "incident_date": past, "location": point(MOPTI),
        "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on"})  # fmt: skip
    client.force_login(officer)
    z = 12
    x, y = tile_of(MOPTI, z)
    first = _tile(client, "incidents", z, x, y)
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, max-age=60"
    assert {"Authorization", "Cookie"} <= {v.strip() for v in first["Vary"].split(",")}
    etag = first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        second = _tile(client, "incidents", z, x, y, HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 304
    assert second.content == b""
    assert second["ETag"] == etag
    assert second["Cache-Control"] == "private, max-age=60"
    assert not [q for q in queries.captured_queries if "ST_AsMVT" in q["sql"]]
    # As a browser sends back the weak form that gzip made of it.
    assert _tile(client, "incidents", z, x, y, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304


def test_a_new_record_in_the_tile_changes_its_version(client, officer, partner_user, partner_a, past):
    client.force_login(officer)
    z = 12
    x, y = tile_of(MOPTI, z)
    before = _tile(client, "incidents", z, x, y)
    incident = incident_create(user=partner_user, organisation=partner_a, data={
        "incident_class": "improvised", "incident_date": past, "location": point(MOPTI),
        "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on"})  # fmt: skip
    after = _tile(client, "incidents", z, x, y, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert incident.pk in {f["id"] for f in _features(after, "incidents")}
    # A change of a record already there changes it too (the workflow raises `version`).
    record_transition(record=incident, user=partner_user, action="submit")
    assert _tile(client, "incidents", z, x, y, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 200


def test_a_tile_is_drawn_in_one_statement(demo, client, officer):
    client.force_login(officer)
    z = tiles.INCIDENT_CELLS_BELOW
    x, y = _busiest_tile(z)
    with CaptureQueriesContext(connection) as queries:
        _tile(client, "incidents", z, x, y)
    assert len([q for q in queries.captured_queries if "incidents_incident" in q["sql"]]) == 1


# --- Refusals and empty tiles ---------------------------------------------------------------------


def test_an_empty_tile_is_a_200_with_an_empty_body(client, officer):
    client.force_login(officer)
    # Mid-Pacific.
    response = _tile(client, "incidents", 10, 10, 500)
    assert response.status_code == 200
    assert response["Content-Type"] == MVT
    assert response.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/hazards/6/31/29.pbf",
        "/tiles/casualties/6/31/29.pbf",
        "/tiles/incidents/6/64/29.pbf",
        "/tiles/incidents/6/31/64.pbf",
        "/tiles/incidents/23/0/0.pbf",
        "/tiles/incidents/0/1/0.pbf",
    ],
)
def test_a_layer_or_tile_that_does_not_exist_is_a_404(client, officer, path):
    client.force_login(officer)
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_an_anonymous_reader_is_refused(client):
    response = client.get("/tiles/admin-areas/6/31/29.pbf", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {"detail": "Log in to see the map's layers."}


def test_a_role_that_does_not_read_records_gets_boundaries_only(client, django_user_model, authority):
    viewer = member(django_user_model, "vera.viewer", authority, roles.VIEWER)
    client.force_login(viewer)
    assert _tile(client, "incidents", 6, 31, 29).status_code == 403
    assert _tile(client, "hazard-areas", 6, 31, 29).status_code == 403
    assert _tile(client, "admin-areas", 6, 31, 29).status_code == 200
