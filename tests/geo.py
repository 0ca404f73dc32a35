"""Places in Mali for tests, in WGS84 (longitude, latitude)."""

from django.contrib.gis.geos import Point, Polygon

# Near Mopti (région ML05).
MOPTI = (-4.19, 14.49)
# Near Gao (région ML07).
GAO = (-0.04, 16.27)
# Paris: outside the country.
PARIS = (2.35, 48.85)


def point(lon_lat=MOPTI) -> Point:
    return Point(*lon_lat, srid=4326)


def square(lon_lat=MOPTI, size=0.01) -> Polygon:
    """A square of `size` degrees (0.01 degrees is about 1.1 km) with its south-west corner at lon_lat."""
    x, y = lon_lat
    return Polygon(((x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)), srid=4326)


def bowtie(lon_lat=MOPTI, size=0.01) -> Polygon:
    """A self-intersecting ring: not a valid polygon."""
    x, y = lon_lat
    return Polygon(((x, y), (x + size, y + size), (x + size, y), (x, y + size), (x, y)), srid=4326)
