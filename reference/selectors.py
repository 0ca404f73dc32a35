import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import QuerySet

from reference.country import Extent, country
from reference.models import AdministrativeArea, Organisation


def admin_areas_current() -> QuerySet[AdministrativeArea]:
    return AdministrativeArea.objects.filter(valid_to__isnull=True)


def _ewkb(geom: GEOSGeometry) -> bytes:
    if geom.srid is None:
        geom = geom.clone()
        geom.srid = 4326
    return bytes(geom.ewkb)


# --- Places answered for many records at once ---------------------------------------------------


@dataclass(frozen=True)
class KnownPlace:
    """What the place rules ask of one geometry, answered beforehand (`places_known`)."""

    area: AdministrativeArea | None
    # Whether the country covers it (None: no boundary loaded), and how far outside it reaches (m).
    inside: bool | None
    distance_m: float | None


_known_places: ContextVar[dict[bytes, KnownPlace] | None] = ContextVar("known_places", default=None)


def places_lookup(geometries: Iterable[GEOSGeometry]) -> dict[bytes, KnownPlace]:
    """For many geometries in one statement: the most detailed current area holding each (a point
    on a polygon's surface), whether the country covers it and how far outside it reaches: what
    `admin_area_for_geometry`, `geometry_inside_country` and `distance_outside_country` answer one
    at a time. An import of 100,000 incidents asks once, not 300,000 times."""
    unique = {_ewkb(geom): geom for geom in geometries if geom is not None}
    if not unique:
        return {}
    keys = list(unique)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH g AS (SELECT i, ST_GeomFromEWKB(w) AS geom FROM unnest(%s::bytea[]) WITH ORDINALITY AS t(w, i)), "
            "c AS (SELECT geometry FROM reference_administrativearea WHERE level = 0 AND iso_code = %s "
            "      AND valid_to IS NULL AND geometry IS NOT NULL LIMIT 1) "
            "SELECT g.i, (SELECT a.id FROM reference_administrativearea a WHERE a.valid_to IS NULL AND a.level > 0 "
            "             AND ST_Covers(a.geometry, CASE WHEN GeometryType(g.geom) = 'POINT' THEN g.geom "
            "                                       ELSE ST_PointOnSurface(g.geom) END) "
            "             ORDER BY a.level DESC LIMIT 1), "
            "ST_Covers(c.geometry, g.geom), "
            "CASE WHEN %s AND NOT ST_Covers(c.geometry, g.geom) THEN COALESCE(("
            "  SELECT max(ST_Distance((d).geom::geography, c.geometry::geography)) "
            "  FROM ST_DumpPoints(ST_Difference(g.geom, c.geometry)) AS d), 0) ELSE 0 END "
            "FROM g LEFT JOIN c ON true",
            [keys, settings.COUNTRY_ISO, settings.BORDER_TOLERANCE_M > 0],
        )
        rows = cursor.fetchall()
    areas = AdministrativeArea.objects.in_bulk({row[1] for row in rows if row[1] is not None})
    found = {}
    for index, area_id, inside, distance in rows:
        key = keys[index - 1]
        area = areas.get(area_id)
        if area is None and inside is not None and settings.BORDER_TOLERANCE_M > 0:
            # Just across the border: the nearest area, as one at a time (rare, so asked alone).
            geom = unique[key]
            point = geom if geom.geom_type == "Point" else geom.point_on_surface
            area = admin_area_nearest(point, within_m=settings.BORDER_TOLERANCE_M)
        found[key] = KnownPlace(area, inside, None if inside is None else float(distance))
    return found


@contextmanager
def places_known(places: dict[bytes, KnownPlace]) -> Iterator[None]:
    """Inside the block, the place rules answer from `places` (made by `places_lookup`) for the
    geometries it holds, and ask the database for any other."""
    token = _known_places.set(places)
    try:
        yield
    finally:
        _known_places.reset(token)


def _known(geom: GEOSGeometry) -> KnownPlace | None:
    places = _known_places.get()
    return None if places is None else places.get(_ewkb(geom))


def admin_area_for_geometry(geom: GEOSGeometry) -> AdministrativeArea | None:
    """The most detailed current area containing the geometry (a point on its surface for
    polygons): derived spatially, never typed by hand (DOMAIN.md, "Places").

    Within BORDER_TOLERANCE_M of the country, a place that no area contains (just across the
    border, or in a gap between published boundaries) goes to the nearest area."""
    known = _known(geom)
    if known is not None:
        return known.area
    point = geom if geom.geom_type == "Point" else geom.point_on_surface
    area = (
        admin_areas_current()
        .filter(level__gt=AdministrativeArea.Level.COUNTRY, geometry__covers=point)
        .order_by("-level")
        .first()
    )
    if area is None and settings.BORDER_TOLERANCE_M > 0:
        area = admin_area_nearest(point, within_m=settings.BORDER_TOLERANCE_M)
    return area


def admin_area_nearest(point: GEOSGeometry, *, within_m: float) -> AdministrativeArea | None:
    """The current area nearest to the point within `within_m` metres on the spheroid; of
    areas as near (to the metre), the most detailed."""
    # Degrees that surely hold `within_m` metres around the point, so the spatial index
    # keeps the exact distance to a few candidate areas.
    margin = within_m / 110_000 / max(math.cos(math.radians(min(abs(point.y), 89))), 0.01)
    nearest = AdministrativeArea.objects.raw(
        "WITH p AS (SELECT ST_GeomFromEWKB(%s) AS geom) "
        "SELECT a.*, ST_Distance(a.geometry::geography, p.geom::geography) AS distance_m "
        "FROM reference_administrativearea a, p "
        "WHERE a.valid_to IS NULL AND a.level > 0 AND ST_DWithin(a.geometry, p.geom, %s) "
        "AND ST_DWithin(a.geometry::geography, p.geom::geography, %s) "
        "ORDER BY round(ST_Distance(a.geometry::geography, p.geom::geography)), a.level DESC, a.pcode "
        "LIMIT 1",
        [_ewkb(point), margin, within_m],
    )
    return next(iter(nearest), None)


def country_area() -> AdministrativeArea | None:
    return admin_areas_current().filter(level=AdministrativeArea.Level.COUNTRY, iso_code=settings.COUNTRY_ISO).first()


def geometry_inside_country(geom: GEOSGeometry) -> bool | None:
    """None when the country's boundary is not loaded yet."""
    known = _known(geom)
    if known is not None:
        return known.inside
    country = country_area()
    if country is None or country.geometry is None:
        return None
    return AdministrativeArea.objects.filter(pk=country.pk, geometry__covers=geom).exists()


def distance_outside_country(geom: GEOSGeometry) -> float | None:
    """How far the geometry reaches outside the country, in metres on the spheroid: 0 when
    the country covers it; for a polygon, its vertex (or crossing) farthest outside. None
    when the country's boundary is not loaded yet."""
    known = _known(geom)
    if known is not None:
        return known.distance_m
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH g AS (SELECT ST_GeomFromEWKB(%s) AS geom) "
            "SELECT CASE WHEN ST_Covers(c.geometry, g.geom) THEN 0 ELSE COALESCE(("
            "  SELECT max(ST_Distance((d).geom::geography, c.geometry::geography))"
            "  FROM ST_DumpPoints(ST_Difference(g.geom, c.geometry)) AS d), 0) END "
            "FROM reference_administrativearea c, g "
            "WHERE c.level = 0 AND c.iso_code = %s AND c.valid_to IS NULL AND c.geometry IS NOT NULL",
            [_ewkb(geom), settings.COUNTRY_ISO],
        )
        row = cursor.fetchone()
    return None if row is None else float(row[0])


def country_extent() -> Extent | None:
    """The map extent: the manifest's, else the box of the country's boundary (None before
    the boundary is loaded)."""
    configured = country().extent
    if configured is not None:
        return configured
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM ("
            "  SELECT ST_Extent(geometry)::box2d AS b FROM reference_administrativearea"
            "  WHERE level = 0 AND iso_code = %s AND valid_to IS NULL) AS e WHERE b IS NOT NULL",
            [settings.COUNTRY_ISO],
        )
        row = cursor.fetchone()
    return None if row is None else Extent(*row)


def national_authority() -> Organisation | None:
    """The organisation the manifest names as national mine action authority."""
    acronym = country().national_authority
    return Organisation.objects.filter(acronym=acronym).first() if acronym else None
