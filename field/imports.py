"""Checking and writing an import's rows (DOMAIN.md: every record through the same rules).

A row is read (field.imports_read), renamed and translated by its mapping (`mapped`), its related
records and places found for all rows at once (one query per related type, one spatial statement
for all places, one for all known external ids), then built by the record type's own service code:

- incidents, the bulk of a national import, are built by `incidents.services.incident_build` (the
  single create's own rules) with places and related records answered from those sets, then
  written by `bulk_create` in one transaction;
- other types go through their create or update service one row at a time, each in a savepoint.

`check` changes nothing (its transaction is rolled back); `write` runs the same check inside the
write's own transaction and writes only if every row the check accepted is still accepted: all or
nothing. Records enter as *submitted*, their history naming the import.
"""

import copy
import datetime
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models.expressions import DatabaseDefault
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from core import policy
from core.db import copy_rows, reserve_ids
from core.exceptions import ApplicationError
from core.geofiles import GeoFileError, read_geometry_text
from core.history import bulk_insert_history, inserts_recorded_in_bulk, recorded
from core.models import RecordStatus
from core.services import apply_fields, format_reference
from core.statistics import statistics_changed
from core.validation import relations_checked_in_sets, text_problem
from core.workflow import ACTION_LABELS, TRANSITIONS, record_transition
from education.models import RiskEducationSession
from education.services import risk_education_session_create, risk_education_session_update
from field.imports_read import SourceRow
from field.models import ImportMapping, ImportRow
from hazards.models import HazardArea, LandReleaseActivity
from hazards.services import (
    hazard_area_create,
    hazard_area_update,
    land_release_activity_create,
    land_release_activity_update,
)
from incidents.models import Casualty, Incident
from incidents.services import incident_build, incident_update
from reference.models import Locality, OrdnanceType, Organisation
from reference.selectors import places_known, places_lookup

# Columns of a casualty on an incident's row: `casualty_sex`, `casualty_age`… Rows that repeat an
# incident's external_id add one casualty each (one row a victim, as registers list them).
CASUALTY_PREFIX = "casualty_"
CHUNK = 2000


@dataclass(frozen=True)
class ImportType:
    slug: str
    model: type[models.Model]
    create: Callable[..., models.Model]
    update: Callable[..., models.Model]
    # Where a point (longitude/latitude columns, a point feature) and a polygon feature go.
    point_field: str | None
    area_field: str | None = None


TYPES = {
    "incidents": ImportType(
        "incidents", Incident, None,
        lambda record, user, data: incident_update(incident=record, user=user, data=data), "location",
    ),
    "hazard-areas": ImportType(
        "hazard-areas", HazardArea, hazard_area_create,
        lambda record, user, data: hazard_area_update(hazard=record, user=user, data=data), None, "geometry",
    ),
    "land-release-activities": ImportType(
        "land-release-activities", LandReleaseActivity, land_release_activity_create,
        lambda record, user, data: land_release_activity_update(activity=record, user=user, data=data), "location",
        "cleared_geometry",
    ),
    "risk-education-sessions": ImportType(
        "risk-education-sessions", RiskEducationSession, risk_education_session_create,
        lambda record, user, data: risk_education_session_update(session=record, user=user, data=data), "location",
    ),
}  # fmt: skip


@dataclass
class Line:
    """One record of the file: the row that names it (and, for an incident, the rows adding its
    casualties), what the check found and what the write did."""

    number: int
    data: dict[str, Any]
    external_id: str = ""
    casualties: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    action: str = ImportRow.Action.CREATE
    existing: models.Model | None = None
    built: models.Model | None = None
    built_casualties: list[Casualty] = field(default_factory=list)
    # The built incident and casualties as column values (`column_values`), kept by the check.
    staged: tuple[dict, list[dict]] | None = None
    record_id: int | None = None

    def refuse(self, name: str, message: str) -> None:
        messages = self.errors.setdefault(name, [])
        if message not in messages:
            messages.append(message)


class ImportChanged(Exception):
    """A row the check accepted is refused at the write: the data changed in between."""


# --- Mapping ------------------------------------------------------------------------------------


def mapped(row: SourceRow, kind: ImportType, mapping: ImportMapping | None) -> Line:
    """The row as the service's input: columns renamed, values translated, empty cells left out,
    longitude and latitude made a point, a feature's geometry put where the type keeps it."""
    columns = mapping.columns if mapping else {}
    tables = mapping.values if mapping else {}
    line = Line(row.number, {}, errors={k: list(v) for k, v in row.problems.items()})
    lists = _list_fields(kind)
    for column, value in row.values.items():
        name = columns.get(column, column)
        if not name or _empty(value):
            continue
        # JSON may carry what no text column stores: said for the row rather than failing the file.
        texts = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
        problem = next(filter(None, map(text_problem, texts)), None)
        if problem:
            line.refuse(name, problem)
            continue
        if name in lists and isinstance(value, str):
            # A spreadsheet cell or a shapefile attribute holds a list as text: "uxo; improvised_ap_mines".
            value = [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
        if name in tables:
            table = tables[name]
            values = value if isinstance(value, list) else [value]
            unknown = [_text(v) for v in values if _text(v) not in table]
            if unknown:
                line.refuse(name, _("“%(value)s” has no mapping to our values in the mapping “%(mapping)s”.")
                            % {"value": unknown[0], "mapping": mapping.name})  # fmt: skip
                continue
            translated = [table[_text(v)] for v in values]
            value = translated if isinstance(value, list) else translated[0]
        line.data[name] = value
    _place(line, row, kind)
    external_id = line.data.get("external_id")
    line.external_id = _text(external_id) if external_id is not None else ""
    if line.external_id:
        line.data["external_id"] = line.external_id
    return line


def _list_fields(kind: ImportType) -> set[str]:
    return {f.name for f in kind.model._meta.concrete_fields if isinstance(f, ArrayField)}


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def _place(line: Line, row: SourceRow, kind: ImportType) -> None:
    data = line.data
    longitude, latitude = data.pop("longitude", None), data.pop("latitude", None)
    if longitude is not None or latitude is not None:
        point = _point(line, longitude, latitude)
        if point is not None and kind.point_field:
            data[kind.point_field] = point
        elif point is not None:
            line.refuse("longitude", _("These records are placed by a polygon, not a point."))
    for name in [n for n, v in data.items() if isinstance(v, str) and _geometry_field(kind, n)]:
        try:
            data[name] = read_geometry_text(data[name]).geometry
        except GeoFileError as error:
            line.refuse(name, str(error))
            del data[name]
    if row.geometry is not None:
        target = kind.point_field if row.geometry.geom_type == "Point" else kind.area_field
        if target is None:
            line.refuse("geometry", _("These records have no place for a %(type)s.") % {"type": row.geometry.geom_type})
        else:
            data.setdefault(target, row.geometry)


def _geometry_field(kind: ImportType, name: str) -> bool:
    try:
        found = kind.model._meta.get_field(name)
    except Exception:
        return False
    return hasattr(found, "geom_type")


def _point(line: Line, longitude, latitude) -> Point | None:
    numbers = []
    for name, value in (("longitude", longitude), ("latitude", latitude)):
        try:
            number = float(str(value).replace(",", ".")) if value is not None else None
        except ValueError:
            number = None
        if number is None or number != number:
            line.refuse(name, _("Give the %(name)s in decimal degrees (WGS84).") % {"name": _(name)})
        numbers.append(number)
    if None in numbers:
        return None
    longitude, latitude = numbers
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        line.refuse("location", _("Longitude lies within -180..180 and latitude within -90..90."))
        return None
    return Point(longitude, latitude, srid=4326)


# --- Related records, places and known records, for all lines at once -----------------------------


def _resolve_relations(lines: list[Line], kind: ImportType) -> None:
    """Related records named by id, P-code, code or name become records, with one query a field."""
    model = kind.model
    relations = {f.name: f for f in model._meta.concrete_fields if f.is_relation and f.editable}
    for name, relation in relations.items():
        wanted = {_text(line.data[name]) for line in lines if isinstance(line.data.get(name), str | int | float)}
        if not wanted:
            continue
        found = _related(relation.related_model, wanted)
        for line in lines:
            value = line.data.get(name)
            if value is None or isinstance(value, models.Model):
                continue
            record = found.get(_text(value))
            if record is None:
                line.refuse(name, _("No %(model)s is known as “%(value)s”.")
                            % {"model": relation.related_model._meta.verbose_name, "value": _text(value)})  # fmt: skip
                del line.data[name]
            elif record is _AMBIGUOUS:
                plural = relation.related_model._meta.verbose_name_plural
                line.refuse(name, _("Several %(models)s are named “%(value)s”: give the P-code.")
                            % {"models": plural, "value": _text(value)})  # fmt: skip
                del line.data[name]
            else:
                line.data[name] = record


_AMBIGUOUS = object()


def _related(model: type[models.Model], wanted: set[str]) -> dict[str, Any]:
    ids = {value for value in wanted if value.isdigit()}
    found: dict[str, Any] = {str(r.pk): r for r in model._default_manager.filter(pk__in=[int(i) for i in ids])}
    names = wanted - set(found)
    if not names:
        return found
    if model is Locality:
        for locality in Locality.objects.filter(pcode__in=names):
            found[locality.pcode] = locality
        by_name: dict[str, list] = {}
        # Names as people write them: any case.
        lowered = {n.lower(): n for n in names - set(found)}
        for locality in Locality.objects.annotate(lowered=Lower("name")).filter(lowered__in=list(lowered)):
            by_name.setdefault(locality.name.lower(), []).append(locality)
        for key, name in lowered.items():
            if key in by_name:
                found[name] = by_name[key][0] if len(by_name[key]) == 1 else _AMBIGUOUS
    elif model is OrdnanceType:
        found.update({t.model: t for t in OrdnanceType.objects.filter(model__in=names)})
    elif model is HazardArea:
        found.update({h.reference: h for h in HazardArea.objects.filter(reference__in=names)})
    elif model is Organisation:
        found.update({o.acronym: o for o in Organisation.objects.filter(acronym__in=names)})
    return found


def _known_records(lines: list[Line], kind: ImportType, organisation: Organisation) -> None:
    """Rows whose external_id the organisation already used update that record; one held by a
    deleted record is refused, as the API refuses it."""
    ids = {line.external_id for line in lines if line.external_id}
    if not ids:
        return
    known = {r.external_id: r for r in kind.model.all_objects.filter(organisation=organisation, external_id__in=ids)}
    for line in lines:
        record = known.get(line.external_id)
        if record is None:
            continue
        if record.deleted_at is not None:
            line.refuse("external_id", _("This external_id belongs to a deleted record: restore it, or use another."))
        else:
            line.existing = record


def _places(lines: list[Line], kind: ImportType) -> dict:
    """Every line's place answered at once; a point outside the country whose latitude and
    longitude, swapped, fall inside it is refused as swapped."""
    geometries = []
    for line in lines:
        for name in (kind.point_field, kind.area_field):
            value = line.data.get(name) if name else None
            if isinstance(value, GEOSGeometry):
                geometries.append(value)
        locality = line.data.get("locality")
        if isinstance(locality, Locality) and locality.location is not None:
            geometries.append(locality.location)
    places = places_lookup(geometries)
    outside = [line for line in lines if _outside(line, kind, places)]
    swapped = {id(line): Point(line.data[kind.point_field].y, line.data[kind.point_field].x, srid=4326)
               for line in outside}  # fmt: skip
    for key, place in places_lookup(swapped.values()).items():
        for line in outside:
            if bytes(swapped[id(line)].ewkb) == key and place.inside:
                line.refuse(kind.point_field, _("This point lies outside the country, but with latitude and longitude "
                                                "swapped it lies inside: check the two columns."))  # fmt: skip
    return places


def _outside(line: Line, kind: ImportType, places: dict) -> bool:
    point = line.data.get(kind.point_field) if kind.point_field else None
    if not isinstance(point, Point):
        return False
    place = places.get(bytes(point.ewkb))
    return place is not None and place.inside is False


# --- The check ----------------------------------------------------------------------------------------


def prepare(rows: Iterable[SourceRow], kind: ImportType, mapping: ImportMapping | None, organisation) -> list[Line]:
    """The file's rows as lines, gathered (an incident's casualty rows), related records and known
    records found, places asked: everything the rules need, in a few statements."""
    lines = _gathered((mapped(row, kind, mapping) for row in rows), kind)
    _resolve_relations(lines, kind)
    _known_records(lines, kind, organisation)
    return lines


def _gathered(lines: Iterator[Line], kind: ImportType) -> list[Line]:
    if kind.slug != "incidents":
        return _no_repeats(list(lines))
    found: list[Line] = []
    by_external: dict[str, Line] = {}
    for line in lines:
        names = [n for n in line.data if n.startswith(CASUALTY_PREFIX)]
        casualty = {n[len(CASUALTY_PREFIX) :]: line.data.pop(n) for n in names}
        nested = line.data.pop("casualties", None)
        first = by_external.get(line.external_id) if line.external_id else None
        if first is None:
            if line.external_id:
                by_external[line.external_id] = line
            found.append(line)
            first = line
        elif {k: v for k, v in line.data.items() if k != "external_id"} and not _same_incident(first, line):
            message = _(
                "This row repeats the external_id of row %(row)s with other incident details; a repeated "
                "row may only add a casualty."
            )
            line.refuse("external_id", message % {"row": first.number})
            found.append(line)
            continue
        if casualty:
            first.casualties.append(casualty)
        for item in _nested(nested, line):
            first.casualties.append(item)
        if line is not first and line.errors:
            for name, messages in line.errors.items():
                for message in messages:
                    first.refuse(f"row {line.number}: {name}", message)
    return found


def _same_incident(first: Line, line: Line) -> bool:
    return all(first.data.get(k) == v or _text(first.data.get(k)) == _text(v) for k, v in line.data.items())


def _nested(value, line: Line) -> list[dict]:
    """The API's own `casualties` list, as a GeoJSON property or JSON text in a cell."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            line.refuse("casualties", _("Give the casualties as a JSON list of objects."))
            return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        line.refuse("casualties", _("Give the casualties as a JSON list of objects."))
        return []
    return value


def _no_repeats(lines: list[Line]) -> list[Line]:
    seen: dict[str, int] = {}
    for line in lines:
        if line.external_id in seen:
            line.refuse("external_id", _("Row %(row)s has the same external_id.") % {"row": seen[line.external_id]})
        elif line.external_id:
            seen[line.external_id] = line.number
    return lines


def check(lines: list[Line], kind: ImportType, *, user, organisation) -> None:
    """Fills each line's action and errors; saves nothing that outlives the caller's transaction
    (other types are created in savepoints, each rolled back)."""
    places = _places(lines, kind)
    if kind.slug == "incidents":
        _check_incidents(lines, user=user, organisation=organisation, places=places)
        return
    with places_known(places):
        for line in lines:
            if line.errors:
                line.action = ImportRow.Action.REJECT
                continue
            _check_one(line, kind, user=user, organisation=organisation)


def _check_one(line: Line, kind: ImportType, *, user, organisation) -> None:
    if line.existing is not None and _unchanged(line.existing, line.data):
        line.action = ImportRow.Action.UNCHANGED
        return
    try:
        with transaction.atomic():
            if line.existing is not None:
                kind.update(line.existing, user, line.data)
                line.action = ImportRow.Action.UPDATE
            else:
                kind.create(user=user, organisation=organisation, data=line.data)
                line.action = ImportRow.Action.CREATE
            transaction.set_rollback(True)
    except ApplicationError as error:
        _refused(line, error)
    except PermissionDenied as error:
        line.refuse("organisation", str(error) or _("You may not report these records for this organisation."))
        line.action = ImportRow.Action.REJECT


def _refused(line: Line, error: ApplicationError) -> None:
    for name, messages in (getattr(error, "errors", None) or {"non_field_errors": [str(error)]}).items():
        for message in messages:
            line.refuse(name, str(message))
    line.action = ImportRow.Action.REJECT


def _unchanged(record: models.Model, data: dict) -> bool:
    """Whether writing `data` would leave the record as it is (a file imported again)."""
    probe = copy.copy(record)
    try:
        apply_fields(probe, data, allowed={f.name for f in record._meta.concrete_fields})
    except ApplicationError:
        return False
    for name in data:
        found = record._meta.get_field(name)
        before, after = getattr(record, found.attname), getattr(probe, found.attname)
        if isinstance(before, GEOSGeometry) or isinstance(after, GEOSGeometry):
            if before is None or after is None or not before.equals_exact(after, 1e-9):
                return False
        elif before != after:
            return False
    return True


def _check_incidents(lines: list[Line], *, user, organisation, places) -> None:
    """Each incident built by the single create's own code; related records, places and external
    ids already found for all (field.imports: `prepare`)."""
    policy.check_report_for(user, Incident, organisation)
    placeholder = format_reference("INC", 0)
    with places_known(places), relations_checked_in_sets():
        for line in lines:
            if line.errors:
                line.action = ImportRow.Action.REJECT
                continue
            if line.existing is not None:
                _check_incident_update(line, user)
                continue
            incident = Incident(organisation=organisation, reference=placeholder)
            try:
                line.built_casualties, _sources = incident_build(incident, line.data, line.casualties)
            except ApplicationError as error:
                _refused(line, error)
                continue
            line.built = incident
            line.action = ImportRow.Action.CREATE


def _check_incident_update(line: Line, user) -> None:
    if _unchanged(line.existing, line.data):
        line.action = ImportRow.Action.UNCHANGED
        return
    try:
        policy.check_change(user, line.existing)
        incident_build(copy.copy(line.existing), line.data)
    except ApplicationError as error:
        _refused(line, error)
        return
    except PermissionDenied as error:
        line.refuse("external_id", str(error) or _("You may not change this record."))
        line.action = ImportRow.Action.REJECT
        return
    line.action = ImportRow.Action.UPDATE


# --- The write ------------------------------------------------------------------------------------------


def write(lines: list[Line], kind: ImportType, *, user, organisation, reason: str, progress=None) -> None:
    """Writes every accepted line, in the caller's transaction; ImportChanged when one the check
    accepted is refused now. New records enter as submitted."""
    accepted = [line for line in lines if line.action in (ImportRow.Action.CREATE, ImportRow.Action.UPDATE)]
    with recorded(user=user, action="import", reason=reason):
        if kind.slug == "incidents":
            _write_incidents([line for line in accepted if line.action == ImportRow.Action.CREATE], user, progress)
            updates = [line for line in accepted if line.action == ImportRow.Action.UPDATE]
        else:
            updates = accepted
        with places_known(_places(updates, kind)):
            for done, line in enumerate(updates, start=1):
                _write_one(line, kind, user=user, organisation=organisation)
                if progress is not None and done % 200 == 0:
                    progress(done, len(updates))


def _write_one(line: Line, kind: ImportType, *, user, organisation) -> None:
    try:
        if line.action == ImportRow.Action.UPDATE:
            record = kind.update(line.existing, user, line.data)
        else:
            record = kind.create(user=user, organisation=organisation, data=line.data)
        # What an import writes waits for approval, a changed draft too.
        if record.status in (RecordStatus.DRAFT, RecordStatus.REJECTED):
            record = record_transition(record=record, user=user, action="submit")
    except (ApplicationError, PermissionDenied) as error:
        raise ImportChanged(line.number, str(getattr(error, "errors", "") or error)) from error
    line.record_id = record.pk


# Set by the write itself, never taken from what the check built.
WRITTEN_AT_WRITE = frozenset({"id", "reference", "status", "status_changed_at", "created_at", "updated_at",
                              "created_by_id", "updated_by_id", "incident_id"})  # fmt: skip


def column_values(instance: models.Model) -> dict[str, Any]:
    """A built record's columns as COPY reads them (dates in ISO, geometry as hex EWKB), without
    those the write sets or the database defaults."""
    found = {}
    for column in instance._meta.concrete_fields:
        if column.attname in WRITTEN_AT_WRITE:
            continue
        value = getattr(instance, column.attname)
        if isinstance(value, DatabaseDefault):
            continue
        if hasattr(column, "geom_type") and value is not None:
            value = value.hexewkb.decode()
        elif isinstance(value, datetime.date | datetime.time):
            value = value.isoformat()
        found[column.attname] = value
    return found


def _write_incidents(lines: list[Line], user, progress) -> None:
    """New incidents and their casualties by COPY, a chunk at a time: ids and references from the
    sequences the single create uses, history in one statement per table."""
    if not lines:
        return
    # Entering as submitted is the reporter's act (core.policy.check_transition); the organisation's
    # own was checked with the report.
    if not user.has_perm(TRANSITIONS["submit"].permission):
        raise PermissionDenied(_("Your role may not %(action)s this record.") % {"action": ACTION_LABELS["submit"]})
    now = timezone.now()
    # As `stamp`: the system (a command) is named in the history, never as a user.
    person = getattr(user, "pk", None)
    stamped = {"status_changed_at": now, "created_at": now, "updated_at": now, "created_by_id": person,
               "updated_by_id": person}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('reference_inc_seq') FROM generate_series(1, %s)", [len(lines)])
        numbers = [number for (number,) in cursor.fetchall()]
    for start in range(0, len(lines), CHUNK):
        chunk = lines[start : start + CHUNK]
        incidents, casualties = [], []
        for line, pk, number in zip(chunk, reserve_ids(Incident, len(chunk)), numbers[start:], strict=False):
            values, casualty_values = line.staged or (
                column_values(line.built), [column_values(c) for c in line.built_casualties])  # fmt: skip
            line.record_id = pk
            incidents.append({**values, **stamped, "id": pk, "reference": format_reference("INC", number),
                              "status": RecordStatus.SUBMITTED})  # fmt: skip
            casualties += [{**c, **stamped, "incident_id": pk} for c in casualty_values]
        for casualty, pk in zip(casualties, reserve_ids(Casualty, len(casualties)), strict=True):
            casualty["id"] = pk
        with inserts_recorded_in_bulk(Incident, Casualty):
            copy_rows(Incident, incidents)
            copy_rows(Casualty, casualties)
        bulk_insert_history(Incident, [row["id"] for row in incidents])
        bulk_insert_history(Casualty, [row["id"] for row in casualties])
        if progress is not None:
            progress(start + len(chunk), len(lines))
    statistics_changed(Incident)
    statistics_changed(Casualty)
