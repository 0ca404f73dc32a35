"""Writers of export files: one row at a time, so that memory stays bounded whatever the count.

Spreadsheets run a text cell that starts like a formula: such cells get a leading apostrophe
(OWASP, "CSV injection"), in CSV and XLSX alike.
"""

import csv
import datetime
import decimal
import json
import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# How often the row count is reported (a cheap UPDATE).
PROGRESS_EVERY = 5000
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
# The formats of a list's export (a report is written as XLSX, DOCX or PDF).
LIST_FORMATS = ("csv", "xlsx", "geojson", "gpkg")
GEO_FORMATS = frozenset({"geojson", "gpkg"})

Progress = Callable[[int], None]


class ExportWriteError(Exception):
    """A writer could not produce its file; the message says why, for the owner."""


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plain(value):
    """A value as a file holds it: dates in ISO 8601, lists joined, decimals as numbers."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value


def _counted(rows: Iterable[Sequence], progress: Progress) -> Iterable[Sequence]:
    for count, row in enumerate(rows, start=1):
        yield row
        if count % PROGRESS_EVERY == 0:
            progress(count)


def write_csv(path: Path, names: Sequence[str], rows: Iterable[Sequence], progress: Progress) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(names)
        for row in _counted(rows, progress):
            writer.writerow(["" if v is None else neutralise(plain(v)) for v in row])
        _sync(out)


def write_csv_copy(path: Path, names: Sequence[str], statement: str, params: Sequence, progress: Progress) -> int:
    """CSV written by PostgreSQL (`COPY … TO STDOUT`, values formatted and neutralised in SQL,
    reports.selectors.export_copy_sql), block by block; the rows it held."""
    from django.db import connection

    rows = 0
    # Inside a quoted value when a block ends, a newline is the value's, not the row's end.
    quoted = False
    reported = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerow(names)
        out.flush()
        with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
            for block in copy:
                block = bytes(block)
                out.buffer.write(block)
                for index, part in enumerate(block.split(b'"')):
                    if index:
                        quoted = not quoted
                    if not quoted:
                        rows += part.count(b"\n")
                if rows - reported >= PROGRESS_EVERY:
                    progress(rows)
                    reported = rows
        _sync(out)
    return rows


def write_xlsx(path: Path, names: Sequence[str], rows: Iterable[Sequence], progress: Progress) -> None:
    from openpyxl import Workbook

    # Write-only: rows go to a temporary XML stream, never held as cells.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.append(list(names))
    for row in _counted(rows, progress):
        sheet.append([neutralise(plain(v)) for v in row])
    workbook.save(path)
    with open(path, "rb") as saved:
        _sync(saved)


def _feature(names: Sequence[str], row: Sequence) -> str:
    *values, geometry = row
    properties = {name: plain(value) for name, value in zip(names, values, strict=True)}
    geometry_json = geometry if geometry else "null"
    return f'{{"type":"Feature","id":{row[0]},"geometry":{geometry_json},"properties":{json.dumps(properties)}}}'


def write_geojson(path: Path, names: Sequence[str], rows: Iterable[Sequence], progress: Progress) -> None:
    """A FeatureCollection written feature by feature; geometries come as GeoJSON from PostGIS."""
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"type":"FeatureCollection","features":[\n')
        for index, row in enumerate(_counted(rows, progress)):
            out.write(("," if index else "") + _feature(names, row) + "\n")
        out.write("]}\n")
        _sync(out)


def write_gpkg(path: Path, names: Sequence[str], rows: Iterable[Sequence], progress: Progress, *, layer: str) -> None:
    """GDAL's ogr2ogr converts GeoJSON text sequences (one feature a line, read as a stream) into
    a GeoPackage layer."""
    sequence = path.with_name(path.name + ".geojsonl")
    try:
        with open(sequence, "w", encoding="utf-8") as out:
            for row in _counted(rows, progress):
                out.write(_feature(names, row) + "\n")
        path.unlink(missing_ok=True)
        command = [
            "ogr2ogr", "-f", "GPKG", str(path), f"GeoJSONSeq:{sequence}",
            "-nln", layer, "-a_srs", "EPSG:4326", "-gt", "65536",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)  # noqa: S603  # nosec B603 # ogr2ogr with a list of arguments and no shell; the paths are the export's own files
        if done.returncode != 0:
            raise ExportWriteError(done.stderr.strip()[-500:] or f"ogr2ogr exited with {done.returncode}")
        with open(path, "rb") as written:
            _sync(written)
    finally:
        sequence.unlink(missing_ok=True)


def _sync(handle) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def write(
    format: str, path: Path, names: Sequence[str], rows: Iterable[Sequence], progress: Progress, *, layer: str
) -> None:
    if format == "csv":
        write_csv(path, names, rows, progress)
    elif format == "xlsx":
        write_xlsx(path, names, rows, progress)
    elif format == "geojson":
        write_geojson(path, names, rows, progress)
    elif format == "gpkg":
        write_gpkg(path, names, rows, progress, layer=layer)
    else:
        raise ExportWriteError(f"unknown format {format!r}")
