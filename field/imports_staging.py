"""The dry run's new incidents, kept beside the file as the rows the write will copy.

Building 100,000 incidents by the rules takes most of an import's time. The check keeps what it
built (each accepted new incident and its casualties, field by field) with a stamp of what the rules
read besides the file: the administrative areas, localities and ordnance types. The confirmed write
copies those rows when the stamp is unchanged and no external id it uses was taken meanwhile;
otherwise it checks the file again, as it always may. Rows that update a record are always checked
again (their record may have changed).
"""

import datetime
import json
from pathlib import Path

from django.db import connection
from django.db.models.expressions import DatabaseDefault

from field.imports import Line
from field.models import ImportRow
from incidents.models import Casualty, Incident

STAGED = "staged.jsonl"
# Set by the write itself: never kept from the check.
_WRITTEN_AT_WRITE = {"id", "reference", "status", "status_changed_at", "created_at", "updated_at", "created_by_id",
                     "updated_by_id", "incident_id"}  # fmt: skip


def reference_stamp() -> list[str]:
    """What the rules read besides the rows: changes to places or the ordnance catalogue change it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT concat(count(*), '/', max(updated_at)) FROM reference_administrativearea), "
            "(SELECT concat(count(*), '/', max(updated_at)) FROM reference_locality), "
            "(SELECT concat(count(*), '/', max(updated_at)) FROM reference_ordnancetype)"
        )
        return [str(part) for part in cursor.fetchone()]


def _values(instance) -> dict:
    found = {}
    for field in instance._meta.concrete_fields:
        if field.attname in _WRITTEN_AT_WRITE:
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, DatabaseDefault):
            continue
        if hasattr(field, "geom_type") and value is not None:
            value = value.hexewkb.decode()
        elif isinstance(value, datetime.date | datetime.time):
            value = value.isoformat()
        found[field.attname] = value
    return found


def stage(folder: Path, lines: list[Line]) -> None:
    """Keeps the accepted new incidents of a checked file (written whole, then renamed)."""
    partial = folder / f".{STAGED}.partial"
    with open(partial, "w", encoding="utf-8") as out:
        out.write(json.dumps({"stamp": reference_stamp()}) + "\n")
        for line in lines:
            if line.action == ImportRow.Action.CREATE and line.built is not None:
                staged = {"n": line.number, "e": line.external_id, "i": _values(line.built),
                          "c": [_values(casualty) for casualty in line.built_casualties]}  # fmt: skip
                out.write(json.dumps(staged) + "\n")
    partial.replace(folder / STAGED)


def staged_lines(folder: Path) -> list[Line] | None:
    """The kept rows as lines ready to write, or None when there are none or the places or the
    catalogue changed since the check."""
    path = folder / STAGED
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as source:
        header = json.loads(source.readline())
        if header.get("stamp") != reference_stamp():
            return None
        lines = []
        for text in source:
            staged = json.loads(text)
            line = Line(staged["n"], {}, external_id=staged["e"], action=ImportRow.Action.CREATE)
            line.built = Incident(**staged["i"])
            line.built_casualties = [Casualty(**values) for values in staged["c"]]
            lines.append(line)
    return lines
