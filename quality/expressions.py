"""PostGIS expressions of the data-quality checks: each runs inside the database, row by row
of one query, so that a check over 100,000 polygons never pulls them into Python."""

from django.contrib.postgres.fields import ArrayField
from django.db.models import BooleanField, CharField, FloatField, Func

# Longest ground distance a degree can span on WGS84: a degree of latitude near the poles
# (111,694 m); a degree of longitude is at most 111,320 m, at the equator. A segment
# `d` degrees long in the (lon, lat) plane is therefore at most d x 111,700 m on the ground.
METRES_PER_DEGREE_MAX = 111_700.0


class IsValidReason(Func):
    function = "ST_IsValidReason"
    output_field = CharField()


class ValidOrMadeValid(Func):
    """The geometry, repaired when invalid: GEOS predicates may raise a TopologyException on
    invalid input, and one bad polygon must not stop the whole report."""

    template = "CASE WHEN ST_IsValid(%(expressions)s) THEN %(expressions)s ELSE ST_MakeValid(%(expressions)s) END"


class Covers(Func):
    function = "ST_Covers"
    output_field = BooleanField()


class Equal(Func):
    """PostGIS's `=`: the same coordinates in the same order, to the last bit."""

    arg_joiner = " = "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class GeographyDistance(Func):
    """Metres on the spheroid between two geometries (0 when they touch or overlap)."""

    function = "ST_Distance"
    arg_joiner = "::geography, "
    template = "%(function)s(%(expressions)s::geography)"
    output_field = FloatField()


class Normalize(Func):
    """Canonical vertex, ring and part order: two copies of one polygon digitised from a
    different first vertex or in the other direction compare equal."""

    function = "ST_Normalize"


class ThinnestPart(Func):
    """`[thinness, area_m2, part]` of the thinnest valid part of a multipolygon whose area is
    below `min_area_m2` or whose thinness ratio 4πA/P² is below `max_thinness`, else NULL.

    Area and perimeter are measured on the spheroid. Invalid parts are left to the invalid
    polygon check: their area and perimeter mean nothing.
    """

    output_field = ArrayField(FloatField())

    def __init__(self, expression, *, min_area_m2: float, max_thinness: float):
        super().__init__(expression)
        self.min_area_m2 = min_area_m2
        self.max_thinness = max_thinness

    def as_sql(self, compiler, connection, **extra_context):
        geometry, params = compiler.compile(self.source_expressions[0])
        sql = (
            # Only the column Django compiled is interpolated; values go as parameters.
            "(SELECT ARRAY[t.thinness, t.area, t.part]::float8[] FROM ("  # noqa: S608  # nosec B608 # only the geometry column Django compiled is interpolated; thresholds are parameters
            "SELECT m.part, m.geom, m.area, 4 * pi() * m.area / NULLIF(m.perimeter ^ 2, 0) AS thinness FROM ("
            "SELECT d.path[1] AS part, d.geom, ST_Area(d.geom::geography) AS area, "
            "ST_Perimeter(d.geom::geography) AS perimeter "
            # OFFSET 0 keeps the subquery apart, so each part's area is measured once.
            f"FROM ST_Dump({geometry}) AS d OFFSET 0) AS m) AS t "
            # CASE keeps the costly validity test for the few parts that look like slivers.
            "WHERE CASE WHEN t.area < %s OR coalesce(t.thinness, 0) < %s THEN ST_IsValid(t.geom) ELSE false END "
            "ORDER BY t.thinness NULLS FIRST, t.part LIMIT 1)"
        )
        return sql, [*params, self.min_area_m2, self.max_thinness]


class LongestVertexJump(Func):
    """`[metres, jumps, part, ring, vertex]` of the longest segment between consecutive
    vertices longer than `min_metres` on the spheroid, with the number of such segments;
    NULL when there is none.

    Two planar filters, sound by METRES_PER_DEGREE_MAX, spare the spheroid: a polygon whose
    bounding box diagonal is shorter than the limit cannot hold such a segment, and neither
    can a segment shorter than it in degrees.
    """

    output_field = ArrayField(FloatField())

    def __init__(self, expression, *, min_metres: float):
        super().__init__(expression)
        self.min_metres = min_metres

    def as_sql(self, compiler, connection, **extra_context):
        geometry, params = compiler.compile(self.source_expressions[0])
        if params:
            raise ValueError("LongestVertexJump expects a geometry column.")
        min_degrees = self.min_metres / METRES_PER_DEGREE_MAX
        sql = (
            # Only the column Django compiled is interpolated; values go as parameters.
            f"CASE WHEN (ST_XMax({geometry}) - ST_XMin({geometry})) ^ 2 "  # noqa: S608  # nosec B608 # only the geometry column Django compiled is interpolated; thresholds are parameters
            f"+ (ST_YMax({geometry}) - ST_YMin({geometry})) ^ 2 >= %s THEN ("
            "SELECT ARRAY[j.metres, count(*) OVER (), j.path[1], j.path[2], j.path[3]]::float8[] FROM ("
            "SELECT ST_Length(s.geom::geography) AS metres, s.path "
            f"FROM ST_DumpSegments({geometry}) AS s WHERE ST_Length(s.geom) >= %s OFFSET 0) AS j "
            "WHERE j.metres > %s ORDER BY j.metres DESC, j.path LIMIT 1) END"
        )
        return sql, [min_degrees**2, min_degrees, self.min_metres]
