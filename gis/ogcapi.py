"""OGC API – Features (Part 1: Core, GeoJSON and HTML) of the national database, read by desktop GIS
(QGIS, GDAL's OAPIF driver) with the same scoping as the API.

Collections bear the API's resource names: the record types of the registry that have a geometry
and that the user's role may read (`core.selectors.scoped`, as every list, layer and export), and
`admin-areas`, the current boundaries, the same for every user who logged in. A feature's id is its
record's id; its geometry is written by PostGIS (`AsGeoJSON`) from `.values()`, never from model
instances, and its properties are a few non-personal fields of the API's lists (never a casualty's
identity: incidents carry none).
"""

import datetime
import json
from dataclasses import dataclass

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core import registry
from core.filters import parse_bbox
from core.selectors import scoped
from reference.selectors import admin_areas_current, country_extent

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ADMIN_AREAS = "admin-areas"

# Each collection's properties: the name a client reads, and the lookup it is read from. Small and
# safe: ids, reference, categories, dates, workflow status and areas in m².
PROPERTIES: dict[str, dict[str, str]] = {
    "hazard-areas": {
        "reference": "reference", "land_class": "land_class", "hazard_status": "hazard_status",
        "status": "status", "survey_date": "survey_date", "area_m2": "area_m2",
        "remaining_area_m2": "remaining_area_m2", "contamination_types": "contamination_types",
        "admin_area": "admin_area__pcode",
    },
    "land-release-activities": {
        "reference": "reference", "kind": "kind", "status": "status", "hazard_area": "hazard_area_id",
        "start_date": "start_date", "end_date": "end_date", "area_cancelled_m2": "area_cancelled_m2",
        "area_reduced_m2": "area_reduced_m2", "area_cleared_m2": "area_cleared_m2",
        "admin_area": "admin_area__pcode",
    },
    "incidents": {
        "reference": "reference", "incident_class": "incident_class", "device_category": "device_category",
        "incident_date": "incident_date", "status": "status", "admin_area": "admin_area__pcode",
    },
    "risk-education-sessions": {
        "reference": "reference", "session_date": "session_date", "method": "method",
        "target_group": "target_group", "status": "status", "admin_area": "admin_area__pcode",
    },
    ADMIN_AREAS: {
        "pcode": "pcode", "level": "level", "name_fr": "name_fr", "name_en": "name_en", "parent": "parent__pcode",
    },
}  # fmt: skip
COLLECTIONS = tuple(PROPERTIES)


@dataclass(frozen=True)
class Interval:
    """Dates a record's date must lie between (both included); None: open on that side."""

    start: datetime.date | None
    end: datetime.date | None


@dataclass(frozen=True)
class Page:
    """One page of a collection's items: each feature already JSON, and what paging needs."""

    features: list[str]
    matched: int
    offset: int
    limit: int

    @property
    def returned(self) -> int:
        return len(self.features)

    @property
    def has_next(self) -> bool:
        return self.offset + self.returned < self.matched


# --- Collections ---------------------------------------------------------------------------------


def collection_readable(collection: str, user) -> bool:
    """Record collections need the record type's view permission (as the API); boundaries a login."""
    if collection not in PROPERTIES or not getattr(user, "is_authenticated", False):
        return False
    if collection == ADMIN_AREAS:
        return True
    return user.has_perm(registry.by_slug(collection).permission("view"))


def collections_readable(user) -> list[str]:
    return [collection for collection in COLLECTIONS if collection_readable(collection, user)]


def collection_title(collection: str) -> str:
    if collection == ADMIN_AREAS:
        return _("Administrative boundaries (current)")
    return str(capfirst(registry.by_slug(collection).label))


def collection_has_dates(collection: str) -> bool:
    return collection != ADMIN_AREAS and registry.by_slug(collection).date_field is not None


def spatial_extent() -> list[float] | None:
    """The country's box: every collection's records lie in it (the services refuse places outside)."""
    extent = country_extent()
    return None if extent is None else [extent.west, extent.south, extent.east, extent.north]


# --- Parameters ----------------------------------------------------------------------------------


def parse_limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(_("Give the limit as a whole number from 1 to %(max)s.") % {"max": MAX_LIMIT})
    return limit


def parse_offset(value: str | None) -> int:
    if value is None or value == "":
        return 0
    try:
        offset = int(value)
    except ValueError:
        offset = -1
    if offset < 0:
        raise ValidationError(_("Give the offset as a whole number, 0 or more."))
    return offset


def parse_box(value: str) -> Polygon:
    """`bbox`: west,south,east,north in degrees of longitude and latitude (CRS84)."""
    box = parse_bbox(value)
    box.srid = 4326
    return box


def _day(value: str) -> datetime.date:
    """A date or an RFC 3339 date-time, as the day it falls on (the records are dated to the day)."""
    try:
        day = parse_date(value) if len(value) == 10 else None
        moment = parse_datetime(value) if day is None else None
    except ValueError:
        # Well formed but no such day or time (2024-13-45).
        day = moment = None
    if day is None and moment is None:
        raise ValidationError(
            _("Give datetime as a date or date-time (RFC 3339), or an interval of two of them separated "
              "by “/”, with “..” for an open end.")
        )  # fmt: skip
    return day if day is not None else moment.date()


def parse_interval(value: str) -> Interval:
    """`datetime`: an instant (`2024-03-15`), a closed interval (`a/b`) or a half-open one (`../b`,
    `a/..`; an empty end counts as open)."""
    if "/" not in value:
        day = _day(value)
        return Interval(day, day)
    start, end = value.split("/", 1)
    interval = Interval(None if start in ("", "..") else _day(start), None if end in ("", "..") else _day(end))
    if interval.start is None and interval.end is None:
        raise ValidationError(_("An interval needs at least one end."))
    if interval.start and interval.end and interval.start > interval.end:
        raise ValidationError(_("The interval's start comes after its end."))
    return interval


# --- Items ---------------------------------------------------------------------------------------


def _geometry_field(collection: str) -> str:
    return "geometry" if collection == ADMIN_AREAS else registry.by_slug(collection).geometry_field


def _records(collection: str, user) -> QuerySet:
    if collection == ADMIN_AREAS:
        return admin_areas_current()
    return scoped(registry.by_slug(collection).model.objects.all(), user)


def _filtered(collection: str, user, *, box: Polygon | None, interval: Interval | None) -> QuerySet:
    queryset = _records(collection, user).order_by()
    if box is not None:
        queryset = queryset.filter(**{f"{_geometry_field(collection)}__intersects": box})
    if interval is not None:
        date_field = registry.by_slug(collection).date_field
        if interval.start is not None:
            queryset = queryset.filter(**{f"{date_field}__gte": interval.start})
        if interval.end is not None:
            queryset = queryset.filter(**{f"{date_field}__lte": interval.end})
    return queryset


def _features(collection: str, queryset: QuerySet) -> list[str]:
    names = list(PROPERTIES[collection])
    lookups = list(PROPERTIES[collection].values())
    rows = queryset.annotate(ogc_geojson=AsGeoJSON(_geometry_field(collection))).values_list(
        "pk", "ogc_geojson", *lookups
    )
    features = []
    for pk, geojson, *values in rows:
        properties = json.dumps(dict(zip(names, values, strict=True)), separators=(",", ":"), cls=DjangoJSONEncoder)
        # The geometry is already JSON from PostGIS: joined, not parsed again.
        features.append(f'{{"type":"Feature","id":{pk},"geometry":{geojson or "null"},"properties":{properties}}}')
    return features


def items_page(
    collection: str, user, *, box: Polygon | None = None, interval: Interval | None = None,
    limit: int = DEFAULT_LIMIT, offset: int = 0,
) -> Page:  # fmt: skip
    """A page of the records of the collection the user may read, in the order of their ids (stable
    across pages), with the count of all that match."""
    queryset = _filtered(collection, user, box=box, interval=interval)
    matched = queryset.count()
    features = []
    if offset < matched:
        # The page's ids first: GeoJSON is written for its own rows, never for the rows skipped.
        page_ids = queryset.order_by("pk").values("pk")[offset : offset + limit]
        features = _features(collection, _records(collection, user).filter(pk__in=page_ids).order_by("pk"))
    return Page(features, matched, offset, limit)


def item_feature(collection: str, user, pk: int) -> str | None:
    """One feature as JSON; None when there is no such record or the user may not read it."""
    features = _features(collection, _records(collection, user).filter(pk=pk))
    return features[0] if features else None
