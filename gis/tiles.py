"""Vector tiles of the map's layers: Mapbox Vector Tiles written by PostGIS (`ST_AsMVT`), each
drawn by one SQL statement, of the records a user may read.

Layers bear the API's resource names: `hazard-areas` and `incidents`, record types of the registry
scoped exactly as the API and the GeoJSON layers are (`core.selectors.scoped`: the Django queryset
is compiled and wrapped, never rewritten), and `admin-areas`, the current boundaries, the same for
every user: the level the map draws at that zoom (`gis.selectors.boundary_level`) and those above
it, so that a style can weigh lines by `level`. A tile holds one MVT layer named as in the URL; a
feature's id is its record's id. Geometry is `ST_AsMVTGeom(ST_Transform(geometry, 3857),
ST_TileEnvelope(z, x, y), 4096, 64, true)`: clipped to the tile with a 64-unit buffer and snapped
to its 4096-unit grid, which is the only simplification. Records are chosen on the tile's square
in WGS84, so that the GiST indexes of the geometry columns answer.

At low zoom a tile would hold too much to draw (a zoom-6 tile around Mopti holds half a million
incidents): below `INCIDENT_CELLS_BELOW` incidents, and below `HAZARD_CELLS_BELOW` hazardous areas,
are counted on the server in cells of `CELL_UNITS` tile units (4 × 4 cells a tile), not capped,
when the tile holds more than `RECORDS_UP_TO`. A
cell is a point at the mean place of its records with their `count` (for hazardous areas also the
sums of their areas): every record is counted, none is left out, and a cell never straddles two
tiles. A hazardous area is counted in the one tile that holds the centre of its box, so that the
cells of a view add up to each area once.

A record also sent in a neighbour's buffer is owned by one tile only, the one holding its place as
cells count it (`in_tile`): a page adding up a view's records and cells counts each record once.

A tile's version (its ETag) is read without drawing it: the count, sum of ids, latest `updated_at`
and sum of `version` of its records, which every write through the services changes.
"""

import hashlib
from dataclasses import dataclass

from django.contrib.gis.db.models import GeometryField
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language

from core import registry
from core.selectors import scoped
from gis.selectors import MAX_HAZARD_GROUPING_ZOOM, MAX_ZOOM, RELEASE_STATE, boundary_level
from reference.country import FALLBACK_LANGUAGES, country, language_code
from reference.selectors import admin_areas_current

LAYERS = ("hazard-areas", "incidents", "admin-areas")
CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
EXTENT = 4096
# Around each tile, in tile units: 16 pixels, more than a drawn point's radius. OpenLayers clips each
# tile's drawing to its square, so a record near the edge is sent in both tiles and drawn whole.
BUFFER = 256
# 4 cells across a tile: 64 pixels on a 256-pixel tile, room for a drawn group and its count (as
# the GeoJSON layers' cells).
CELL_UNITS = 1024
# A zoom-9 tile around Mopti holds 25,000 incidents (1.3 MB as points); a zoom-10 one a quarter.
INCIDENT_CELLS_BELOW = 10
# As the GeoJSON layer: below it a hazardous area is a few pixels at most.
HAZARD_CELLS_BELOW = MAX_HAZARD_GROUPING_ZOOM
# Up to this many records in a tile at a zoom that may group, the records themselves are sent: a
# few hundred kilobytes at most, which OpenLayers draws at once.
RECORDS_UP_TO = {"incidents": 2000, "hazard-areas": 500}
# Raised whenever the same records would make other tiles (properties, cells, zooms): old ETags
# must not match.
TILE_SCHEMA = 2

# The tile's square in Web Mercator; computed once per statement (the function is immutable).
# Every SQL text of this module is made of these constants and Django's compiled queries; values
# (tile address, names, languages) are always parameters.
_ENVELOPE = "ST_TileEnvelope(%s::int, %s::int, %s::int)"
# The tile's square with its buffer: records are chosen in it, except where counted in cells (each in one tile).
_BUFFERED = f"ST_TileEnvelope(%s::int, %s::int, %s::int, margin => {BUFFER / EXTENT})"
_MVT_GEOM = f"ST_AsMVTGeom(ST_Transform({{g}}, 3857), {_ENVELOPE}, {EXTENT}, {BUFFER}, true)"


@dataclass(frozen=True)
class Tile:
    """One tile's answer: the MVT bytes (empty when nothing lies in it), its version, which
    changes whenever the records drawn in it change (the ETag), and whether it holds cells."""

    content: bytes
    version: str
    records: int
    grouped: bool = False


def tile_exists(z: int, x: int, y: int) -> bool:
    """A tile of the web map's pyramid: zoom 0 to MAX_ZOOM, x and y within the 2^z tiles of that zoom."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def layer_readable(layer: str, user) -> bool:
    """Record layers need the record type's view permission (as the API); boundaries only a login."""
    if not getattr(user, "is_authenticated", False):
        return False
    if layer == "admin-areas":
        return True
    return user.has_perm(registry.by_slug(layer).permission("view"))


def may_group(layer: str, z: int) -> bool:
    """Whether this layer's tiles at this zoom may hold cells with counts rather than records."""
    return (layer == "incidents" and z < INCIDENT_CELLS_BELOW) or (layer == "hazard-areas" and z < HAZARD_CELLS_BELOW)


def is_grouped(layer: str, user, z: int, x: int, y: int) -> bool:
    """Whether this tile holds cells: at a zoom that may group, and more records than RECORDS_UP_TO
    of the layer in it. A sparse region shows its records one by one at national zoom too; a
    country with a few hundred records never sees a cell."""
    if not may_group(layer, z):
        return False
    rows = _rows(layer, user, z, x, y, grouped=False)
    if rows is None:
        return False
    sql, params = rows
    limit = RECORDS_UP_TO[layer]
    with connection.cursor() as cursor:
        # Stops at the first record past the limit: a few milliseconds however many the tile holds.
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM ({sql}) AS r LIMIT %s) AS r", [*params, limit + 1])  # noqa: S608  # nosec B608 # the inner query is Django's compiled queryset, its values parameters; the rest is our own text
        return cursor.fetchone()[0] > limit


def tile_version(layer: str, user, z: int, x: int, y: int) -> str:
    """The tile's version without drawing it: one count over the records it would hold."""
    grouped = is_grouped(layer, user, z, x, y)
    rows = _rows(layer, user, z, x, y, grouped=grouped)
    if rows is None:
        return _version(layer, z, x, y, _NOTHING)
    sql, params = rows
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_KEY} FROM ({sql}) AS r", params)  # noqa: S608  # nosec B608 # the inner query is Django's compiled queryset, its values parameters; the rest is our own text
        return _version(layer, z, x, y, cursor.fetchone(), grouped)


def tile_render(layer: str, user, z: int, x: int, y: int) -> Tile:
    """The tile as `user` may read it, and its version, in one statement (after a bounded count
    where the zoom may group)."""
    grouped = is_grouped(layer, user, z, x, y)
    rows = _rows(layer, user, z, x, y, grouped=grouped)
    if rows is None:
        return Tile(b"", _version(layer, z, x, y, _NOTHING), 0)
    sql, params = rows
    if grouped:
        # The version is summed over the cells: the records are read once, never kept.
        statement = (
            f"WITH c AS ({_cells(layer, sql)}) SELECT (SELECT ST_AsMVT(f, %s, {EXTENT}, 'geom') "  # noqa: S608  # nosec B608 # the layer's SQL is built from our constants and Django's query (values parameters); the layer is a key of our own tables
            f"FROM (SELECT {_CELL_PROPERTIES[layer]} FROM c) AS f), "
            "sum(c.count), sum(c.ids), max(c.updated_at), sum(c.versions) FROM c"
        )
        values = [*params, layer]
    else:
        features, feature_params = _features(layer, z, x, y)
        statement = (
            f"WITH r AS ({sql}) SELECT (SELECT ST_AsMVT(f, %s, {EXTENT}, 'geom', 'id') "  # noqa: S608  # nosec B608 # the layer's SQL is built from our constants and Django's query (values parameters); the layer is a key of our own tables
            f"FROM ({features}) AS f), {_KEY} FROM r"
        )
        values = [*params, layer, *feature_params]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        content, *key = cursor.fetchone()
    return Tile(bytes(content or b""), _version(layer, z, x, y, key, grouped), key[0] or 0, grouped)


# --- The records of a tile -----------------------------------------------------------------------

# What the version is made of: a record that enters, leaves or changes (every write through the
# services raises `updated_at` and `version`) changes one of these.
_KEY = "count(*), sum(r.id), max(r.updated_at), sum(r.version)"
_NOTHING = (0, None, None, None)


def _version(layer: str, z: int, x: int, y: int, key, grouped: bool = False) -> str:
    count, ids, updated_at, versions = key
    language = language_code(get_language()) if layer == "admin-areas" else ""
    stamp = updated_at.isoformat() if updated_at is not None else ""
    text = f"{TILE_SCHEMA}|{layer}|{z}/{x}/{y}|{grouped:d}|{language}|{count or 0}|{ids or 0}|{stamp}|{versions or 0}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _envelope(z: int, x: int, y: int, *, buffered: bool) -> RawSQL:
    """The tile's square (with its buffer or not) in WGS84 (the geometry columns' SRID), for their
    GiST indexes."""
    square = _BUFFERED if buffered else _ENVELOPE
    return RawSQL(f"ST_Transform({square}, 4326)", (z, x, y), output_field=GeometryField(srid=4326))  # noqa: S611  # nosec B611 # the SQL text is one of two constants; z, x and y are parameters


# Columns of each layer's rows, as the queryset gives them and as the SQL around it names them.
_COLUMNS = {
    "incidents": ("reference", "incident_class", "device_category", "incident_date", "status"),
    "hazard-areas": ("reference", "land_class", "hazard_status", "release", "area_m2", "remaining_area_m2"),
    "admin-areas": ("pcode", "level", "name_fr", "name_en", "names"),
}
_GROUPED_COLUMNS = {"incidents": (), "hazard-areas": ("area_m2", "remaining_area_m2")}


def _rows(layer: str, user, z: int, x: int, y: int, *, grouped: bool) -> tuple[str, list] | None:
    """SQL of the rows the tile is made of, each with `id`, its geometry `g`, `updated_at` and
    `version`; None when the user may read none (an empty scope compiles to no SQL)."""
    envelope = _envelope(z, x, y, buffered=not grouped)
    if layer == "admin-areas":
        queryset = admin_areas_current().filter(level__lte=boundary_level(z), geometry__intersects=envelope)
        geometry, tail, select = "geometry", ("updated_at",), "r.*, 0 AS version"
    else:
        entry = registry.by_slug(layer)
        geometry, tail, select = entry.geometry_field, ("updated_at", "version"), "r.*"
        queryset = scoped(entry.model.objects.all(), user).order_by()
        if layer == "incidents" or grouped:
            # A point lies in the tile exactly when their boxes overlap: `&&`, the index alone. Areas
            # counted in cells are placed by their box: a box test is enough to find them.
            queryset = queryset.filter(**{f"{geometry}__bboverlaps": envelope})
        else:
            # What land release has done to the area, as the map colours it (gis.selectors).
            queryset = queryset.filter(**{f"{geometry}__intersects": envelope}).annotate(release=RELEASE_STATE)
    columns = _GROUPED_COLUMNS[layer] if grouped else _COLUMNS[layer]
    try:
        sql, params = queryset.values_list("pk", geometry, *columns, *tail).query.sql_with_params()
    except EmptyResultSet:
        return None
    # Columns renamed by position: the SQL around does not depend on Django's aliases.
    names = ", ".join(("id", "g", *columns, *tail))
    sql = f"SELECT {select} FROM ({sql}) AS r({names})"  # noqa: S608  # nosec B608 # column names are our own constants; the inner query is Django's compiled queryset, its values parameters
    if grouped:
        return _on_grid(sql, list(params), z, x, y, hazards=layer == "hazard-areas")
    return sql, list(params)


def _on_grid(sql: str, params: list, z: int, x: int, y: int, *, hazards: bool) -> tuple[str, list]:
    """The rows with their place on the tile's grid (`tx` to the east, `ty` downwards, as
    ST_AsMVTGeom counts), in Web Mercator computed from longitude and latitude: ST_Transform of half
    a million points cost more than all the rest. A hazardous area is placed at the centre of its
    box (from the box PostGIS keeps with each geometry: no vertex is read), and kept only when that
    centre lies in the tile (its west and north edges in, east and south out: each area in one
    tile only)."""
    lon, lat = _place(hazards)
    tx, ty = _grid("r.lon", "r.lat")
    placed = (
        f"SELECT r.*, {tx} AS tx, {ty} AS ty "  # noqa: S608  # nosec B608 # the grid expressions are our constants with parameters; the inner query is Django's compiled queryset, its values parameters
        f"FROM (SELECT r.*, {lon} AS lon, {lat} AS lat FROM ({sql}) AS r) AS r"
    )
    if hazards:
        placed = f"SELECT * FROM ({placed}) AS r WHERE r.tx >= 0 AND r.tx < {EXTENT} AND r.ty >= 0 AND r.ty < {EXTENT}"  # noqa: S608  # nosec B608 # EXTENT is an integer constant
    # Parameters in the order of their places in the text: the grid's before the rows'.
    return placed, [2**z, x, 2**z, y, *params]


def _place(hazards: bool) -> tuple[str, str]:
    """Where a row counts: a point where it is, an area at the centre of its box."""
    if hazards:
        return "(ST_XMin(r.g) + ST_XMax(r.g)) / 2", "(ST_YMin(r.g) + ST_YMax(r.g)) / 2"
    return "ST_X(r.g)", "ST_Y(r.g)"


def _grid(lon: str, lat: str) -> tuple[str, str]:
    """A place in tile units of this tile's grid; its parameters are 2^z and x, then 2^z and y."""
    return (
        f"(({lon} + 180) / 360 * %s - %s) * {EXTENT}",
        f"((1 - ln(tan(radians({lat})) + 1 / cos(radians({lat}))) / pi()) / 2 * %s - %s) * {EXTENT}",
    )


def _in_tile(hazards: bool, z: int, x: int, y: int) -> tuple[str, list]:
    """Whether the tile owns the row: its place (as cells count it) lies in the tile's own square, west
    and north edges in. A record in the buffer belongs to a neighbour, which may count it in a cell."""
    tx, ty = _grid(*_place(hazards))
    return f"(floor({tx} / {EXTENT}) = 0 AND floor({ty} / {EXTENT}) = 0)", [2**z, x, 2**z, y]


_CELL_SUMS = {
    "incidents": "",
    "hazard-areas": (
        ", round(sum(r.area_m2))::bigint AS area_m2, round(sum(r.remaining_area_m2))::bigint AS remaining_area_m2"
    ),
}
# What the cells are made of, and no more: the rows are sorted by cell, half a million of them.
_CELL_INPUTS = {
    "incidents": "r.id, r.updated_at, r.version, r.tx, r.ty",
    "hazard-areas": "r.id, r.updated_at, r.version, r.tx, r.ty, r.area_m2, r.remaining_area_m2",
}
_CELL_PROPERTIES = {"incidents": "geom, count", "hazard-areas": "geom, count, area_m2, remaining_area_m2"}


# A cell is drawn at least this far from its tile's edges (26 pixels, the largest group's radius),
# else the tile's clipping would cut it; it stays in its own cell, which is wider.
CELL_MARGIN = 416


def _kept_in(coordinate: str) -> str:
    return f"least(greatest(round({coordinate}), {CELL_MARGIN}), {EXTENT - CELL_MARGIN})"


def _cells(layer: str, rows: str) -> str:
    """Cells of CELL_UNITS on the tile's grid, each a point at its records' mean place, with their
    count (and the version's parts)."""
    # One number per cell: one sort key. (A fence that made the planner count cells in a hash table
    # also kept it from reading in parallel: 0.77 s against 0.51 s for half a million incidents.)
    side = EXTENT // CELL_UNITS + 1
    return (
        f"SELECT ST_MakePoint({_kept_in('avg(r.tx)')}, {_kept_in('avg(r.ty)')}) AS geom, count(*) AS count, "  # noqa: S608  # nosec B608 # cell expressions and sums are our constants per layer; the zoom's grid side is an integer
        f"sum(r.id) AS ids, max(r.updated_at) AS updated_at, sum(r.version) AS versions{_CELL_SUMS[layer]} "
        f"FROM (SELECT {_CELL_INPUTS[layer]}, floor(r.tx / {CELL_UNITS})::int * {side} "
        f"+ floor(r.ty / {CELL_UNITS})::int AS cell FROM ({rows}) AS r) AS r GROUP BY r.cell"
    )


# --- What each feature carries ---------------------------------------------------------------------


def _features(layer: str, z: int, x: int, y: int) -> tuple[str, list]:
    """SQL of the tile's features over the rows `r`: `id`, `geom` on the tile's grid, properties."""
    geom = _MVT_GEOM.format(g="r.g")
    if layer in ("incidents", "hazard-areas"):
        in_tile, in_tile_params = _in_tile(layer == "hazard-areas", z, x, y)
    if layer == "incidents":
        sql = (
            f"SELECT r.id, {geom} AS geom, r.reference, r.incident_class, r.device_category, "  # noqa: S608  # nosec B608 # the geometry expressions are our constants with parameters
            f"to_char(r.incident_date, 'YYYY-MM-DD') AS incident_date, r.status, {in_tile} AS in_tile FROM r"
        )
        return sql, [z, x, y, *in_tile_params]
    if layer == "hazard-areas":
        # An area too small to draw at this zoom (its polygon collapses on the grid) is sent as a
        # point on its surface, so that none disappears. Areas in whole square metres: plenty for a map.
        point = _MVT_GEOM.format(g="ST_PointOnSurface(r.g)")
        sql = (
            f"SELECT r.id, COALESCE({geom}, {point}) AS geom, r.reference, r.land_class, r.hazard_status, "  # noqa: S608  # nosec B608 # the geometry expressions are our constants with parameters
            "r.release, round(r.area_m2)::bigint AS area_m2, "
            f"round(r.remaining_area_m2)::bigint AS remaining_area_m2, {in_tile} AS in_tile FROM r"
        )
        return sql, [z, x, y, z, x, y, *in_tile_params]
    # French and English have their own columns, which win over `names` (gis.selectors._area_name).
    name = (
        "COALESCE((SELECT n.value FROM jsonb_each_text(CASE WHEN jsonb_typeof(r.names) = 'object' THEN r.names "
        "ELSE '{}'::jsonb END || jsonb_build_object('fr', r.name_fr, 'en', r.name_en)) AS n "
        "LEFT JOIN unnest(%s::text[]) WITH ORDINALITY AS o(code, rank) ON o.code = n.key "
        "WHERE n.value <> '' ORDER BY o.rank NULLS LAST, n.key LIMIT 1), r.pcode)"
    )
    sql = f"SELECT r.id, {geom} AS geom, r.pcode, r.level, {name} AS name FROM r"  # noqa: S608  # nosec B608 # the geometry and name expressions are our constants with parameters
    return sql, [z, x, y, _languages()]


def _languages() -> list[str]:
    """Where a place's name is looked for, as `reference.country.pick_name` does: the active
    language, the country's default language, French and English, then any other alphabetically."""
    try:
        return list(country().languages())
    except ImproperlyConfigured:
        # Reported by the system check `reference.E001`; names still come out, in the fallbacks.
        return list(dict.fromkeys(code for code in (language_code(get_language()), *FALLBACK_LANGUAGES) if code))
