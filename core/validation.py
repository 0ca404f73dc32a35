"""Rules every reported record shares: geometry quality, dates, counts.

Each check returns messages per field so that a service can report all problems at once.
"""

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import raise_if_database_lost
from core.exceptions import ApplicationError

WGS84 = 4326
MAX_VERTICES = 20_000
# Half of a UTF-16 pair: JSON may write one alone ("\\ud800"), UTF-8 cannot encode it.
SURROGATE = re.compile("[\ud800-\udfff]")


class Problems:
    """Collects field-level messages, then raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = defaultdict(list)

    def add(self, field: str, message: str) -> None:
        if message not in self.errors[field]:
            self.errors[field].append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ApplicationError(_("The record is not valid."), errors=dict(self.errors))


_checked_in_sets: ContextVar[bool] = ContextVar("checked_in_sets", default=False)


@contextmanager
def relations_checked_in_sets() -> Iterator[None]:
    """Inside the block, `full_clean_into` leaves out what Django checks with a query a record:
    related records' existence, unique fields and constraints. The caller checks them for all its
    records at once (an import of 100,000 rows: one query for all external ids, one for all
    localities), and the database's own constraints still hold at the write."""
    token = _checked_in_sets.set(True)
    try:
        yield
    finally:
        _checked_in_sets.reset(token)


def full_clean_into(instance: models.Model, problems: Problems, *, exclude: Iterable[str] = ()) -> None:
    """Django's field validation (types, choices, lengths, uniqueness), merged into `problems`."""
    exclude = list(exclude)
    in_sets = _checked_in_sets.get()
    if in_sets:
        exclude += [field.name for field in instance._meta.concrete_fields if field.is_relation]
    try:
        instance.full_clean(exclude=exclude, validate_unique=not in_sets, validate_constraints=not in_sets)
    except ValidationError as exc:
        raise_if_database_lost()
        for field, messages in exc.message_dict.items():
            for message in messages:
                problems.add("non_field_errors" if field == "__all__" else field, message)


def text_problem(text: str) -> str | None:
    """Why PostgreSQL would refuse this text (a NUL, an unpaired surrogate), or None."""
    if "\x00" in text:
        return _("Text cannot contain the NUL character (\\u0000).")
    if SURROGATE.search(text):
        return _("Text cannot contain an unpaired surrogate (\\ud800 to \\udfff).")
    return None


def as_multipolygon(geom: GEOSGeometry | None) -> GEOSGeometry | None:
    """Polygons are stored as multipolygons: one hazardous area may have several parts."""
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    return geom


def check_geometry(geom: GEOSGeometry | None, field: str, problems: Problems, *, kind: str) -> None:
    """GICHD geometry checks: expected type, WGS84 coordinates, valid (with the reason), and
    at least 3 distinct vertices per polygon ring."""
    if geom is None:
        return
    if geom.srid not in (None, WGS84):
        problems.add(field, _("Coordinates must be in WGS84 (EPSG:4326), not EPSG:%(srid)s.") % {"srid": geom.srid})
        return
    if geom.geom_type != kind:
        problems.add(field, _("Expected a %(kind)s, got a %(type)s.") % {"kind": kind, "type": geom.geom_type})
        return
    # The columns are 2D: PostGIS would refuse a Z coordinate at save time with a 500.
    if geom.hasz:
        problems.add(field, _("Send longitude and latitude only: the geometry has a height (Z)."))
        return
    if geom.empty:
        problems.add(field, _("The geometry is empty."))
        return
    # A surveyed polygon has hundreds of vertices, a GPS track a few thousand; far more is a
    # generated shape whose validity and area checks would hold the database for nothing.
    if geom.num_coords > MAX_VERTICES:
        problems.add(field, _("The geometry has %(count)s vertices: simplify it to at most %(limit)s.")
                     % {"count": geom.num_coords, "limit": MAX_VERTICES})  # fmt: skip
        return
    west, south, east, north = geom.extent
    if west < -180 or east > 180 or south < -90 or north > 90:
        problems.add(field, _("Longitude must lie between -180 and 180 and latitude between -90 and 90."))
        return
    polygons = list(geom) if geom.geom_type == "MultiPolygon" else [geom] if geom.geom_type == "Polygon" else []
    for polygon in polygons:
        for ring in polygon:
            # A closed ring repeats its first vertex; count the distinct ones.
            if len(set(ring.coords)) < 3:
                problems.add(field, _("A polygon needs at least 3 distinct vertices."))
    if not geom.valid:
        problems.add(field, _("The geometry is not valid: %(reason)s.") % {"reason": geom.valid_reason})


def check_not_future(value: datetime.date | None, field: str, problems: Problems) -> None:
    """An event date is plausible: not in the future, and not before the setting
    PLAUSIBLE_DATE_FLOOR (a year typed as 1 or 1800). The services check their event dates here."""
    if value is None:
        return
    if value > timezone.localdate():
        problems.add(field, _("The date cannot be in the future."))
    elif value < settings.PLAUSIBLE_DATE_FLOOR:
        problems.add(
            field,
            _("The date cannot be before %(floor)s.") % {"floor": settings.PLAUSIBLE_DATE_FLOOR.isoformat()},
        )


def check_dates_ordered(
    start: datetime.date | None, end: datetime.date | None, end_field: str, problems: Problems, message: str
) -> None:
    if start is not None and end is not None and end < start:
        problems.add(end_field, message)


def check_not_negative(instance: models.Model, fields: Iterable[str], problems: Problems) -> None:
    for field in fields:
        value = getattr(instance, field)
        if value is not None and value < 0:
            problems.add(field, _("A count or an area can never be negative."))


def check_location(geom: GEOSGeometry | None, field: str, problems: Problems, *, kind: str) -> None:
    """Geometry checks, then: inside the country this installation serves, or outside it by
    no more than BORDER_TOLERANCE_M metres (such a record is placed in the nearest area and
    listed by the quality report's "outside the country" check)."""
    import math

    from django.utils.formats import number_format

    from reference.selectors import distance_outside_country, geometry_inside_country

    before = len(problems.errors.get(field, []))
    check_geometry(geom, field, problems, kind=kind)
    if geom is None or len(problems.errors.get(field, [])) > before:
        return
    tolerance = settings.BORDER_TOLERANCE_M
    if not tolerance:
        inside = geometry_inside_country(geom)
        if inside is None:
            problems.add(field, _("The country boundary is not loaded: run `manage.py load_reference_data`."))
        elif not inside:
            problems.add(field, _("The location lies outside the country."))
        return
    distance = distance_outside_country(geom)
    if distance is None:
        problems.add(field, _("The country boundary is not loaded: run `manage.py load_reference_data`."))
    elif distance > tolerance:

        def metres(value: float) -> str:
            # Rounded up: a location 500.4 m out is never shown "500 m" against a 500 m tolerance.
            if value < 1000:
                return f"{number_format(math.ceil(value), force_grouping=True)} m"
            return f"{number_format(value / 1000, 1, force_grouping=True)} km"

        problems.add(
            field,
            _("The location lies %(distance)s outside the country (tolerance %(tolerance)s).")
            % {"distance": metres(distance), "tolerance": metres(tolerance)},
        )


def check_place(record, problems: Problems) -> None:
    """A record placed by a point, or failing that by its locality's point: the point must pass
    the location checks."""
    if record.location is None and record.locality is not None:
        record.location = record.locality.location
    if record.location is None:
        problems.add("location", _("Give the location (a point) or a locality."))
    check_location(record.location, "location", problems, kind="Point")
