"""OGC API – Features (Part 1: Core, GeoJSON and HTML; Part 2: CRS by reference; Part 3:
queryables as query parameters) of the national database, read by desktop GIS (QGIS, ArcGIS, GDAL's
OAPIF driver) with the same scoping as the API.

Collections bear the API's resource names: the record types of the registry that have a geometry
and that the user's role may read (`core.selectors.scoped`, as every list, layer and export), and
`admin-areas`, the current boundaries, the same for every user who logged in. A feature's id is its
record's id; its geometry is written by PostGIS (`AsGeoJSON`) from `.values()`, never from model
instances, and its properties are a few non-personal fields of the API's lists (never a casualty's
identity: incidents carry none).

`datetime` reads a record's date as its whole period when it is known only to the month or the
year (core.dates), as the API's date filters do: a record of 2003 is in `2003-06-01/2003-06-30`.
Each queryable property filters by equality (a comma-separated list: any of them; for a list
property such as `contamination_types`, any shared value).
"""

import datetime
import json
from dataclasses import dataclass

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import Polygon
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Func, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core import registry
from core.filters import parse_bbox, period_reaches
from core.selectors import scoped
from gis import crs as crs_module
from gis.crs import CRS84, Crs
from reference.models import AdministrativeArea
from reference.selectors import admin_areas_current, country_extent

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ADMIN_AREAS = "admin-areas"

# Each collection's properties: the name a client reads, and the lookup it is read from. Small and
# safe: ids, reference, categories, dates, workflow status and areas in m².
PROPERTIES: dict[str, dict[str, str]] = {
    "hazard-areas": {
        "reference": "reference", "land_class": "land_class", "hazard_status": "hazard_status",
        "status": "status", "survey_date": "survey_date", "date_precision": "date_precision", "area_m2": "area_m2",
        "remaining_area_m2": "remaining_area_m2", "contamination_types": "contamination_types",
        "admin_area": "admin_area__pcode",
    },
    "land-release-activities": {
        "reference": "reference", "kind": "kind", "status": "status", "hazard_area": "hazard_area_id",
        "start_date": "start_date", "date_precision": "date_precision", "end_date": "end_date",
        "area_cancelled_m2": "area_cancelled_m2",
        "area_reduced_m2": "area_reduced_m2", "area_cleared_m2": "area_cleared_m2",
        "admin_area": "admin_area__pcode",
    },
    "incidents": {
        "reference": "reference", "incident_class": "incident_class", "device_category": "device_category",
        "incident_date": "incident_date", "date_precision": "date_precision", "status": "status",
        "admin_area": "admin_area__pcode",
    },
    "risk-education-sessions": {
        "reference": "reference", "session_date": "session_date", "date_precision": "date_precision",
        "method": "method",
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


def parse_box(value: str, crs: Crs = CRS84) -> Polygon:
    """`bbox`: four numbers in `crs` (`bbox-crs`, CRS84 by default: west,south,east,north in degrees),
    as a polygon in WGS84."""
    if crs == CRS84:
        # As the API's `bbox`, with its messages.
        box = parse_bbox(value)
        box.srid = 4326
        return box
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(map(_finite, numbers)):
        raise ValidationError(_("bbox: give four numbers separated by commas, in the axis order of bbox-crs."))
    return crs_module.box_in_wgs84(numbers, crs)


def _finite(number: float) -> bool:
    return number == number and abs(number) != float("inf")


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


# --- Queryables ----------------------------------------------------------------------------------


def _model(collection: str) -> type[models.Model]:
    return AdministrativeArea if collection == ADMIN_AREAS else registry.by_slug(collection).model


def _field(model: type[models.Model], lookup: str) -> models.Field:
    """The model field a lookup such as `admin_area__pcode` ends on."""
    *path, last = lookup.split("__")
    for name in path:
        model = model._meta.get_field(name).related_model
    return model._meta.get_field(last)


def _schema(field: models.Field) -> dict:
    """A property's JSON Schema, from its model field: type, format, allowed values."""
    if isinstance(field, models.GeneratedField):
        return _schema(field.output_field)
    if isinstance(field, ArrayField):
        return {"type": "array", "items": _schema(field.base_field)}
    if isinstance(field, models.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, models.ForeignKey | models.IntegerField | models.AutoField):
        return {"type": "integer"}
    if isinstance(field, models.FloatField | models.DecimalField):
        return {"type": "number"}
    schema = {"type": "string"}
    if field.choices:
        schema["enum"] = [str(value) for value, _label in field.flatchoices]
    return schema


def queryables(collection: str) -> dict[str, dict]:
    """Each property a reader may filter on, with its JSON Schema and its title."""
    model = _model(collection)
    found = {}
    for name, lookup in PROPERTIES[collection].items():
        field = _field(model, lookup)
        found[name] = {"title": str(capfirst(field.verbose_name)), **_schema(field)}
    return found


def geometry_queryable(collection: str) -> dict:
    field = _field(_model(collection), _geometry_field(collection))
    return {"x-ogc-role": "primary-geometry", "format": f"geometry-{field.geom_type.lower()}"}


def _value(name: str, schema: dict, text: str):
    """One value of a property filter, checked against the property's schema."""
    if schema["type"] == "array":
        return _value(name, schema["items"], text)
    if schema["type"] == "integer":
        try:
            return int(text)
        except ValueError:
            message = _("%(name)s: “%(value)s” is not a whole number.") % {"name": name, "value": text}
            raise ValidationError(message) from None
    if schema["type"] == "number":
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if not _finite(number):
            raise ValidationError(_("%(name)s: “%(value)s” is not a number.") % {"name": name, "value": text})
        return number
    if schema.get("format") == "date":
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            message = _("%(name)s: “%(value)s” is not a date (YYYY-MM-DD).") % {"name": name, "value": text}
            raise ValidationError(message)
        return day
    if "enum" in schema and text not in schema["enum"]:
        raise ValidationError(
            _("%(name)s: unknown value “%(value)s”; one of: %(known)s.")
            % {"name": name, "value": text, "known": ", ".join(schema["enum"])}
        )
    return text


def parse_property_filters(collection: str, query) -> dict[str, list]:
    """The queryable properties of a request's query, each with its values (comma-separated)."""
    known = queryables(collection)
    found = {}
    for name in query:
        if name in known:
            found[name] = [_value(name, known[name], part) for part in query[name].split(",")]
    return found


# --- Items ---------------------------------------------------------------------------------------


def _geometry_field(collection: str) -> str:
    return "geometry" if collection == ADMIN_AREAS else registry.by_slug(collection).geometry_field


def _records(collection: str, user) -> QuerySet:
    if collection == ADMIN_AREAS:
        return admin_areas_current()
    return scoped(registry.by_slug(collection).model.objects.all(), user)


def _filtered(
    collection: str, user, *, box: Polygon | None, interval: Interval | None, properties: dict[str, list] | None
) -> QuerySet:
    queryset = _records(collection, user).order_by()
    if box is not None:
        queryset = queryset.filter(**{f"{_geometry_field(collection)}__intersects": box})
    if interval is not None:
        entry = registry.by_slug(collection)
        # The record's period meets the interval: it ends on or after the start (read with its
        # precision) and begins on or before the end (the date stored is its first day).
        if interval.start is not None:
            queryset = period_reaches(queryset, interval.start, entry.date_field, entry.date_precision_field)
        if interval.end is not None:
            queryset = queryset.filter(**{f"{entry.date_field}__lte": interval.end})
    model = _model(collection)
    for name, values in (properties or {}).items():
        lookup = PROPERTIES[collection][name]
        operator = "overlap" if isinstance(_field(model, lookup), ArrayField) else "in"
        queryset = queryset.filter(**{f"{lookup}__{operator}": values})
    return queryset


class _FlipCoordinates(Func):
    function = "ST_FlipCoordinates"
    output_field = GeometryField()


def _geometry_in(collection: str, crs: Crs):
    geometry = _geometry_field(collection)
    if crs.srid != 4326:
        return Transform(geometry, crs.srid)
    return _FlipCoordinates(geometry) if crs.lat_first else geometry


def _features(collection: str, queryset: QuerySet, crs: Crs = CRS84) -> list[str]:
    names = list(PROPERTIES[collection])
    lookups = list(PROPERTIES[collection].values())
    geojson = AsGeoJSON(_geometry_in(collection, crs), precision=crs.decimals)
    rows = queryset.annotate(ogc_geojson=geojson).values_list("pk", "ogc_geojson", *lookups)
    features = []
    for pk, geojson, *values in rows:
        properties = json.dumps(dict(zip(names, values, strict=True)), separators=(",", ":"), cls=DjangoJSONEncoder)
        # The geometry is already JSON from PostGIS: joined, not parsed again.
        features.append(f'{{"type":"Feature","id":{pk},"geometry":{geojson or "null"},"properties":{properties}}}')
    return features


def items_page(
    collection: str, user, *, box: Polygon | None = None, interval: Interval | None = None,
    properties: dict[str, list] | None = None, limit: int = DEFAULT_LIMIT, offset: int = 0, crs: Crs = CRS84,
) -> Page:  # fmt: skip
    """A page of the records of the collection the user may read, in the order of their ids (stable
    across pages), with the count of all that match."""
    queryset = _filtered(collection, user, box=box, interval=interval, properties=properties)
    matched = queryset.count()
    features = []
    if offset < matched:
        # The page's ids first: GeoJSON is written for its own rows, never for the rows skipped.
        page_ids = queryset.order_by("pk").values("pk")[offset : offset + limit]
        features = _features(collection, _records(collection, user).filter(pk__in=page_ids).order_by("pk"), crs)
    return Page(features, matched, offset, limit)


def item_feature(collection: str, user, pk: int, crs: Crs = CRS84) -> str | None:
    """One feature as JSON; None when there is no such record or the user may not read it."""
    features = _features(collection, _records(collection, user).filter(pk=pk), crs)
    return features[0] if features else None
