"""Geometry for bulk loading: hex EWKB that PostGIS reads in COPY, built without GEOS.

Binary coordinates go to the database exactly as generated, so a point drawn inside a région
by ST_GeneratePoints stays inside it (no rounding through text).
"""

import math
import struct
from collections.abc import Callable

SRID = 4326
_POINT_HEADER = struct.Struct("<BIIdd")
_EWKB_POINT = 0x20000001
_EWKB_MULTIPOLYGON = 0x20000006
_WKB_POLYGON = 3
# Metres per degree of latitude (mean over Mali's latitudes; enough for demo shapes).
METRES_PER_DEGREE = 110_700.0

COMPASS_FR = ("N", "NE", "E", "SE", "S", "SO", "O", "NO")


def point_ewkb(x: float, y: float) -> str:
    return _POINT_HEADER.pack(1, _EWKB_POINT, SRID, x, y).hex()


def irregular_polygon_ewkb(x: float, y: float, *, radius_m: float, vertices: int, random: Callable[[], float]) -> str:
    """A MultiPolygon of one star-shaped ring around (x, y): angles strictly increase and every
    radius is positive, so the ring never crosses itself (always valid)."""
    step = 2 * math.pi / vertices
    start = random() * step
    metres_per_degree_x = METRES_PER_DEGREE * math.cos(math.radians(y))
    coordinates: list[float] = []
    for k in range(vertices):
        # Jitter within a third of the step keeps the angles in order.
        angle = start + k * step + (random() - 0.5) * step * 0.66
        radius = radius_m * (0.55 + 0.75 * random())
        coordinates.append(x + radius * math.sin(angle) / metres_per_degree_x)
        coordinates.append(y + radius * math.cos(angle) / METRES_PER_DEGREE)
    coordinates.extend(coordinates[:2])
    points = vertices + 1
    return struct.pack(
        f"<BIIIBIII{2 * points}d", 1, _EWKB_MULTIPOLYGON, SRID, 1, 1, _WKB_POLYGON, 1, points, *coordinates
    ).hex()


def distance_km_and_bearing(x0: float, y0: float, x1: float, y1: float) -> tuple[float, str]:
    """From (x0, y0) to (x1, y1) on an equirectangular approximation: fine at these scales."""
    dx = (x1 - x0) * math.cos(math.radians((y0 + y1) / 2)) * METRES_PER_DEGREE
    dy = (y1 - y0) * METRES_PER_DEGREE
    bearing = math.degrees(math.atan2(dx, dy)) % 360
    return math.hypot(dx, dy) / 1000, COMPASS_FR[int((bearing + 22.5) // 45) % 8]
