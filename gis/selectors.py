"""The map's layers: the records a user may read inside a box, as GeoJSON written by PostGIS.

Rows are read with `.values()` and their geometry serialised (and simplified by zoom) in SQL, never
as model instances, so that a national view over 100,000 hazardous areas or 1,000,000 incidents is
one or two bounded queries. Record layers are scoped exactly as the API is (`core.selectors.scoped`:
`core.selectors.records_visible`, deleted and merged records left out).
"""

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.gis.db.models import GeometryField, MultiPolygonField, PointField
from django.contrib.gis.db.models.functions import AsGeoJSON, PointOnSurface
from django.contrib.gis.geos import Polygon
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Func, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.urls import NoReverseMatch, reverse

from community.models import CommunityReport
from core import registry
from core.selectors import scoped
from hazards.models import HazardArea, LandReleaseActivity
from incidents.models import Incident
from reference.country import pick_name
from reference.models import AdministrativeArea
from reference.selectors import admin_areas_current

# Features in one answer; past it the answer says `truncated` and the page asks to zoom in.
FEATURE_CAP = 5000
# Side of the server's grid cells when a point layer has more records in the box than the cap.
CELL_PX = 64
# From this zoom (a few streets across) points are never grouped by the server.
MAX_GROUPING_ZOOM = 15
# From this zoom (a cercle across) hazardous areas are drawn, the largest first, never grouped.
MAX_HAZARD_GROUPING_ZOOM = 9
# An area narrower than this many pixels is sent as a point: its outline would not show.
TINY_PX = 3
MAX_ZOOM = 22
# A record id no page has; replaced by each record's id in the page URL pattern.
_ID_SENTINEL = 987654321


class SimplifyPreserveTopology(Func):
    function = "ST_SimplifyPreserveTopology"
    output_field = GeometryField(srid=4326)


def _bound(function: str, field: str) -> Func:
    return Func(F(field), function=function, output_field=FloatField())


def _box_centre_x(field: str):
    # From the box PostGIS keeps with each geometry: no vertex is read.
    return (_bound("ST_XMin", field) + _bound("ST_XMax", field)) / 2


def _box_centre_y(field: str):
    return (_bound("ST_YMin", field) + _bound("ST_YMax", field)) / 2


def _x(expression) -> Func:
    return Func(expression, function="ST_X", output_field=FloatField())


def _y(expression) -> Func:
    return Func(expression, function="ST_Y", output_field=FloatField())


def pixel_degrees(zoom: int) -> float:
    """Degrees of longitude one pixel spans at this web-map zoom (256-pixel tiles)."""
    return 360 / (256 * 2**zoom)


def coordinate_digits(zoom: int) -> int:
    """Decimals that still move a vertex by less than a pixel: fewer bytes at low zoom."""
    return max(2, min(7, math.ceil(-math.log10(pixel_degrees(zoom))) + 1))


def detail_url_maker(page: str) -> Callable[[int], str | None]:
    """The record page's URL for an id; the page may not exist (yet): then no URL, no error."""
    try:
        pattern = reverse(f"{page}-detail", args=[_ID_SENTINEL])
    except NoReverseMatch:
        return lambda pk: None
    before, after = pattern.split(str(_ID_SENTINEL), 1)
    return lambda pk: f"{before}{pk}{after}"


@dataclass(frozen=True)
class Layer:
    """What one layer's answer carries besides its features."""

    features: list[str]
    records: int
    truncated: bool = False
    grouped: bool = False

    def as_json(self, name: str, zoom: int) -> str:
        # Each feature is already JSON (its geometry straight from PostGIS): joined, not re-parsed.
        meta = json.dumps({"layer": name, "zoom": zoom, "records": self.records, "truncated": self.truncated,
                           "grouped": self.grouped})  # fmt: skip
        return f'{{"type":"FeatureCollection",{meta[1:-1]},"features":[{",".join(self.features)}]}}'


def _feature(pk: int | None, geometry: str, properties: dict) -> str:
    head = f'{{"type":"Feature","id":{pk},' if pk is not None else '{"type":"Feature",'
    encoded = json.dumps(properties, separators=(",", ":"), cls=DjangoJSONEncoder)
    return f'{head}"geometry":{geometry},"properties":{encoded}}}'


def _may_read(user, model) -> bool:
    return user.has_perm(registry.get(model).permission("view"))


# --- Hazardous areas ------------------------------------------------------------------------

# What land release has done to the area, for its colour: closed or handed over is released.
_RELEASED = [HazardArea.HazardStatus.CLOSED, HazardArea.HazardStatus.HANDED_OVER]
RELEASE_STATE = Case(
    When(hazard_status__in=_RELEASED, then=Value("released")),
    When(Q(area_cancelled_m2__gt=0) | Q(area_reduced_m2__gt=0) | Q(area_cleared_m2__gt=0),
         then=Value("partially_released")),
    default=Value("open"),
)  # fmt: skip


def hazard_layer(user, box: Polygon, zoom: int) -> Layer:
    """Past the cap at national zoom, areas are counted in grid cells (none left out); nearer, the
    largest are sent first, and an area smaller than a few pixels is sent as the centre of its box."""
    if not _may_read(user, HazardArea):
        return Layer([], 0)
    queryset = scoped(HazardArea.objects.all(), user).filter(geometry__intersects=box).order_by()
    over_cap = queryset.values("pk")[: FEATURE_CAP + 1].count() > FEATURE_CAP
    if over_cap and zoom < MAX_HAZARD_GROUPING_ZOOM:
        # Counted by where their boxes lie: at this zoom a cell is wider than a cercle, and the
        # box test halves the time of ST_Intersects over 100,000 polygons.
        boxed = scoped(HazardArea.objects.all(), user).filter(geometry__bboverlaps=box)
        return _cells(boxed, _box_centre_x("geometry"), _box_centre_y("geometry"), zoom)
    url = detail_url_maker("hazards")
    pixel = pixel_degrees(zoom)
    simplified = SimplifyPreserveTopology(F("geometry"), Value(pixel), output_field=MultiPolygonField())
    centre = Func(Func(F("geometry"), function="ST_Envelope"), function="ST_Centroid", output_field=PointField())
    span = Greatest(_bound("ST_XMax", "geometry") - _bound("ST_XMin", "geometry"),
                    _bound("ST_YMax", "geometry") - _bound("ST_YMin", "geometry"))  # fmt: skip
    rows = (
        queryset.annotate(span=span)
        .annotate(
            geojson=AsGeoJSON(
                Case(When(span__lt=TINY_PX * pixel, then=centre), default=simplified, output_field=GeometryField()),
                precision=coordinate_digits(zoom),
            ),
            release=RELEASE_STATE,
        )
        # The largest first: when the cap cuts, what is left out is what a reader sees least.
        .order_by("-area_m2", "pk")
        .values_list(
            "pk", "geojson", "reference", "land_class", "hazard_status", "release", "status", "contamination_types"
        )[:FEATURE_CAP]
    )
    features = [
        _feature(pk, geojson, {"reference": reference, "land_class": land_class, "hazard_status": hazard_status,
                               "release": release, "status": status, "contamination_types": types, "url": url(pk)})
        for pk, geojson, reference, land_class, hazard_status, release, status, types in rows
    ]  # fmt: skip
    return Layer(features, len(features), truncated=over_cap)


# --- Point layers: incidents, activities, community reports ---------------------------------


def _cells(queryset: QuerySet, x, y, zoom: int) -> Layer:
    """The records counted in grid cells of CELL_PX pixels, each cell at its records' mean place:
    every record counted, none left out, in a few kilobytes; the page draws them as groups."""
    size = pixel_degrees(zoom) * CELL_PX
    digits = coordinate_digits(zoom)
    # Places are computed in a subquery so that only two numbers per record reach the grouping,
    # not each record's geometry (which made the sort spill to disk).
    places = queryset.order_by().annotate(map_x=x, map_y=y).values_list("map_x", "map_y")
    sql, params = places.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            # `sql` is Django's own compiled query; its values stay parameters.
            f"SELECT count(*), avg(map_x), avg(map_y) FROM ({sql}) AS places "  # noqa: S608  # nosec B608 # the inner query is Django's compiled queryset, its values parameters; the rest is our own text
            "GROUP BY floor(map_x / %s), floor(map_y / %s)",
            [*params, size, size],
        )
        cells = cursor.fetchall()
    features, records = [], 0
    for count, cell_x, cell_y in cells:
        records += count
        point = f'{{"type":"Point","coordinates":[{round(cell_x, digits)},{round(cell_y, digits)}]}}'
        features.append(_feature(None, point, {"count": count}))
    return Layer(features, records, grouped=True)


def _point_layer(queryset: QuerySet, geometry, zoom: int, page: str, fields: tuple[str, ...]) -> Layer:
    """Records as points; past the cap at a zoom where one pixel is still wide, counted in cells."""
    queryset = queryset.order_by()
    over_cap = queryset.values("pk")[: FEATURE_CAP + 1].count() > FEATURE_CAP
    if over_cap and zoom < MAX_GROUPING_ZOOM:
        return _cells(queryset, _x(geometry), _y(geometry), zoom)
    url = detail_url_maker(page)
    rows = queryset.annotate(geojson=AsGeoJSON(geometry, precision=coordinate_digits(zoom)))
    features = [
        _feature(pk, geojson, {**dict(zip(fields, values, strict=True)), "url": url(pk)})
        for pk, geojson, *values in rows.values_list("pk", "geojson", *fields)[:FEATURE_CAP]
    ]
    return Layer(features, len(features), truncated=over_cap)


def incident_layer(user, box: Polygon, zoom: int) -> Layer:
    if not _may_read(user, Incident):
        return Layer([], 0)
    # A point lies in the box exactly when their boxes overlap: `&&`, far cheaper than
    # ST_Intersects over a million points.
    queryset = scoped(Incident.objects.all(), user).filter(location__bboverlaps=box)
    fields = ("reference", "incident_date", "incident_class", "status")
    return _point_layer(queryset, F("location"), zoom, "incidents", fields)


def activity_layer(user, box: Polygon, zoom: int) -> Layer:
    """Activities at their location, else on the polygon they released."""
    if not _may_read(user, LandReleaseActivity):
        return Layer([], 0)
    released = Coalesce("cleared_geometry", "reduced_geometry", "cancelled_geometry", output_field=MultiPolygonField())
    geometry = Coalesce(F("location"), PointOnSurface(released), output_field=PointField())
    # Each test on its own column, so that each column's spatial index answers it (a test for a
    # missing location went through a whole index). An activity placed outside the box whose
    # polygon reaches into it is sent too: drawn just outside the view, it does no harm.
    inside = (
        Q(location__bboverlaps=box)
        | Q(cleared_geometry__intersects=box)
        | Q(reduced_geometry__intersects=box)
        | Q(cancelled_geometry__intersects=box)
    )
    queryset = scoped(LandReleaseActivity.objects.all(), user).filter(inside)
    return _point_layer(queryset, geometry, zoom, "activities", ("reference", "kind", "start_date", "status"))


def community_report_layer(user, box: Polygon, zoom: int) -> Layer:
    if not _may_read(user, CommunityReport):
        return Layer([], 0)
    queryset = scoped(CommunityReport.objects.all(), user).filter(location__bboverlaps=box)
    fields = ("reference", "subject", "report_date", "status")
    return _point_layer(queryset, F("location"), zoom, "community-reports", fields)


# --- Administrative boundaries --------------------------------------------------------------


def boundary_level(zoom: int) -> int:
    """Régions at national zoom, then finer levels as the reader zooms in, down to the finest
    level the database holds."""
    wanted = 1 if zoom < 7 else 2 if zoom < 9 else 3
    deepest = admin_areas_current().filter(level__lte=wanted).aggregate(level=Max("level"))["level"]
    return deepest if deepest is not None else AdministrativeArea.Level.COUNTRY


def boundary_layer(user, box: Polygon, zoom: int) -> Layer:
    """The current version of the boundaries, from the national database (useful offline),
    simplified in SQL to about a pixel at this zoom."""
    level = boundary_level(zoom)
    geometry = SimplifyPreserveTopology(F("geometry"), Value(pixel_degrees(zoom)), output_field=MultiPolygonField())
    rows = (
        admin_areas_current()
        .filter(level=level, geometry__intersects=box)
        .annotate(geojson=AsGeoJSON(geometry, precision=coordinate_digits(zoom)))
        .order_by("pcode")
        .values_list("pk", "geojson", "pcode", "level", "name_fr", "name_en", "names")
    )
    features = [
        _feature(pk, geojson, {"pcode": pcode, "level": level, "name": _area_name(pcode, name_fr, name_en, names)})
        for pk, geojson, pcode, level, name_fr, name_en, names in rows
    ]
    return Layer(features, len(features))


def _area_name(pcode: str, name_fr: str, name_en: str, names: dict | None) -> str:
    return pick_name({**(names or {}), "fr": name_fr, "en": name_en}, None, default=pcode)


LAYERS: dict[str, Callable[[object, Polygon, int], Layer]] = {
    "hazards": hazard_layer,
    "incidents": incident_layer,
    "activities": activity_layer,
    "community-reports": community_report_layer,
    "boundaries": boundary_layer,
}

# The record type each record layer shows, for the page's checkboxes and list links.
LAYER_MODELS = {
    "hazards": HazardArea,
    "incidents": Incident,
    "activities": LandReleaseActivity,
    "community-reports": CommunityReport,
}


def layer_features(name: str, user, box: Polygon, zoom: int) -> Layer:
    """One layer's answer, read in one snapshot."""
    # JIT compilation is off for every connection (settings.DATABASES): it cost more than the queries.
    with transaction.atomic():
        return LAYERS[name](user, box, zoom)


def readable_layers(user) -> Iterable[str]:
    """The layers this user may see: record types their role reads, and the boundaries."""
    for name in LAYERS:
        model = LAYER_MODELS.get(name)
        if model is None or _may_read(user, model):
            yield name
