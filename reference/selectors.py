import math

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


def admin_area_for_geometry(geom: GEOSGeometry) -> AdministrativeArea | None:
    """The most detailed current area containing the geometry (a point on its surface for
    polygons): derived spatially, never typed by hand (DOMAIN.md, "Places").

    Within BORDER_TOLERANCE_M of the country, a place that no area contains (just across the
    border, or in a gap between published boundaries) goes to the nearest area."""
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
    country = country_area()
    if country is None or country.geometry is None:
        return None
    return AdministrativeArea.objects.filter(pk=country.pk, geometry__covers=geom).exists()


def distance_outside_country(geom: GEOSGeometry) -> float | None:
    """How far the geometry reaches outside the country, in metres on the spheroid: 0 when
    the country covers it; for a polygon, its vertex (or crossing) farthest outside. None
    when the country's boundary is not loaded yet."""
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
