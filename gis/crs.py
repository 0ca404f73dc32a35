"""Coordinate reference systems the GIS services answer in (OGC API – Features Part 2).

Records are stored in WGS84 longitude/latitude (CRS84). A reader may ask for them in EPSG:4326
(the same datum, latitude first, as that CRS defines its axes), in Web Mercator, or in the UTM zones
of WGS84 that the country spans (Mali: 28N to 31N), in which surveyors and operators measure. The
list is made from the country's extent, so that another country gets its own zones.
"""

import math
from dataclasses import dataclass

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, LinearRing, Polygon
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from reference.selectors import country_extent

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"
WEB_MERCATOR = 3857
# Points per side of a box given in a projected CRS: its edges are curves in degrees.
_BOX_SIDE_POINTS = 16


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int
    # EPSG:4326 orders its axes latitude first; CRS84 and the projected ones x (east) first.
    lat_first: bool = False

    @property
    def geographic(self) -> bool:
        return self.srid == 4326

    @property
    def decimals(self) -> int:
        """Coordinates' decimals: about a millimetre, in degrees or in metres."""
        return 8 if self.geographic else 3


CRS84 = Crs(CRS84_URI, 4326)


def utm_srids(west: float, south: float, east: float, north: float) -> list[int]:
    """The WGS84 UTM zones (EPSG 326zz north, 327zz south) that a box in degrees reaches."""
    first = max(1, min(60, math.floor((west + 180) / 6) + 1))
    last = max(1, min(60, math.floor((east + 180) / 6) + 1))
    hemispheres = ([32600] if north > 0 else []) + ([32700] if south < 0 else [])
    return [base + zone for base in hemispheres for zone in range(first, last + 1)]


def supported() -> list[Crs]:
    """CRS84 first (the default and the storage CRS), then EPSG:4326, Web Mercator and the UTM zones."""
    found = [CRS84, Crs(f"{EPSG_URI}4326", 4326, lat_first=True), Crs(f"{EPSG_URI}{WEB_MERCATOR}", WEB_MERCATOR)]
    extent = country_extent()
    if extent is not None:
        zones = utm_srids(extent.west, extent.south, extent.east, extent.north)
        found += [Crs(f"{EPSG_URI}{srid}", srid) for srid in zones]
    return found


def parse(value: str | None, parameter: str = "crs") -> Crs:
    """A CRS named by its URI, as the list of the collection gives it; CRS84 when none is given."""
    if value is None or value == "":
        return CRS84
    known = supported()
    for crs in known:
        if value == crs.uri:
            return crs
    raise ValidationError(
        _("%(parameter)s: unsupported CRS “%(value)s”. Supported: %(known)s.")
        % {"parameter": parameter, "value": value, "known": ", ".join(crs.uri for crs in known)}
    )


def box_in_wgs84(numbers: list[float], crs: Crs) -> Polygon:
    """A `bbox` given in `crs` (four numbers in its axis order: lower corner, then upper corner) as a
    polygon in WGS84 longitude/latitude, for the geometry columns' indexes."""
    if crs.lat_first:
        south, west, north, east = numbers
        numbers = [west, south, east, north]
    low_x, low_y, high_x, high_y = numbers
    if not (low_x < high_x and low_y < high_y):
        raise ValidationError(_("bbox: give the lower corner first, then the upper corner, in the CRS's axis order."))
    if crs.geographic:
        if not (-180 <= low_x < high_x <= 180 and -90 <= low_y < high_y <= 90):
            raise ValidationError(_("bbox: longitudes are within -180..180 and latitudes within -90..90."))
        box = Polygon.from_bbox((low_x, low_y, high_x, high_y))
        box.srid = 4326
        return box
    # The box's edges, each cut in a few segments, so that its shape in degrees stays close.
    steps = [i / _BOX_SIDE_POINTS for i in range(_BOX_SIDE_POINTS)]
    ring = (
        [(low_x + (high_x - low_x) * t, low_y) for t in steps]
        + [(high_x, low_y + (high_y - low_y) * t) for t in steps]
        + [(high_x - (high_x - low_x) * t, high_y) for t in steps]
        + [(low_x, high_y - (high_y - low_y) * t) for t in steps]
    )
    box = Polygon(LinearRing([*ring, ring[0]]), srid=crs.srid)
    try:
        found = box.transform(4326, clone=True)
    except (GDALException, GEOSException):
        found = None
    west, south, east, north = found.extent if found is not None else (math.nan,) * 4
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValidationError(_("bbox: this box has no place on the earth in that CRS."))
    return found
