"""The dry run's new incidents, kept beside the file as the rows the write will copy.

Building 100,000 incidents by the rules takes most of an import's time. The check keeps what it
built (each accepted new incident and its casualties, field by field) with a stamp of what the rules
read besides the file: the administrative areas, localities and ordnance types. The confirmed write
copies those rows when the stamp is unchanged and no external id it uses was taken meanwhile;
otherwise it checks the file again, as it always may. Rows that update a record are always checked
again (their record may have changed).
"""

import json
from pathlib import Path

from django.db import connection

from field.imports import Line, column_values
from field.models import ImportRow

STAGED = "staged.jsonl"


def reference_stamp() -> list[str]:
    """What the rules read besides the rows: changes to places or the ordnance catalogue change it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT concat(count(*), '/', max(updated_at)) FROM reference_administrativearea), "
            "(SELECT concat(count(*), '/', max(updated_at)) FROM reference_locality), "
            "(SELECT concat(count(*), '/', max(updated_at)) FROM reference_ordnancetype)"
        )
        return [str(part) for part in cursor.fetchone()]


def stage(folder: Path, lines: list[Line]) -> None:
    """Keeps the accepted new incidents of a checked file (written whole, then renamed)."""
    partial = folder / f".{STAGED}.partial"
    with open(partial, "w", encoding="utf-8") as out:
        out.write(json.dumps({"stamp": reference_stamp()}) + "\n")
        for line in lines:
            if line.action == ImportRow.Action.CREATE and line.built is not None:
                staged = {"n": line.number, "e": line.external_id, "i": column_values(line.built),
                          "c": [column_values(casualty) for casualty in line.built_casualties]}  # fmt: skip
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
            line.staged = (staged["i"], staged["c"])
            lines.append(line)
    return lines
