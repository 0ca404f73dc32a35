"""Reading an import's file into rows: CSV, XLSX, GeoJSON, and through GDAL a GeoPackage or a zipped
Shapefile. Each row keeps its number as the reader of the file sees it (a spreadsheet's row, the
header being row 1; a feature's position from 1), so that the report points at it.

A file that cannot be read at all is refused whole with the reason (ImportFileError); a value or a
geometry that cannot be read is a problem of its row, reported with it.
"""

import csv
import datetime
import io
import json
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# A workbook's XML deflates five to twenty times; a part inflating far more, or a workbook larger than
# this once inflated, is a zip bomb openpyxl would spend minutes and gigabytes reading.
XLSX_MAX_RATIO = 200
XLSX_MAX_EXPANDED = 1024**3

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shp"}


class ImportFileError(Exception):
    """The file as a whole cannot be read: its type, its encoding, its structure."""


@dataclass
class SourceRow:
    number: int
    values: dict[str, Any]
    geometry: GEOSGeometry | None = None
    # Why the row's geometry could not be read, if it could not.
    problems: dict[str, list[str]] = field(default_factory=dict)


def file_format(name: str) -> str:
    """The format a file name says, or ImportFileError."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise ImportFileError(
            _("Send a CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile (.csv, .xlsx, .geojson, .gpkg, .zip).")
        )
    return FORMATS[suffix]


def read_rows(path: Path, name: str) -> Iterator[SourceRow]:
    kind = file_format(name)
    if not path.is_file():
        raise ImportFileError(_("The file is no longer kept here: send it again."))
    if kind == "csv":
        return _csv_rows(path)
    if kind == "xlsx":
        return _xlsx_rows(path)
    if kind == "geojson":
        return _geojson_rows(path)
    return _gdal_rows(path, zipped=kind == "shp")


def _text(path: Path) -> str:
    raw = path.read_bytes()
    # Text never holds NUL: such a file is binary (a picture renamed), and PostgreSQL stores no NUL.
    if b"\x00" in raw:
        raise ImportFileError(_("The file holds NUL bytes: it is not text."))
    # UTF-8 first (with or without Excel's BOM), else the Windows encoding of a French Excel.
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is neither UTF-8 nor Windows-1252 text."))


def _csv_rows(path: Path) -> Iterator[SourceRow]:
    text = _text(path)
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = _header(next(reader, None))
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            yield SourceRow(number, _row(header, [cell.strip() for cell in cells], number))
    except csv.Error as exc:
        raise ImportFileError(_("The file is not valid CSV: %(reason)s.") % {"reason": exc}) from exc


def _header(cells) -> list[str]:
    if not cells or not any(str(cell or "").strip() for cell in cells):
        raise ImportFileError(_("The first row must name the columns."))
    names = [str(cell or "").strip() for cell in cells]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise ImportFileError(_("Columns named twice: %(names)s.") % {"names": ", ".join(repeated)})
    return names


def _row(header: list[str], cells: list, number: int) -> dict[str, Any]:
    if len(cells) > len(header) and any(str(cell).strip() for cell in cells[len(header) :]):
        raise ImportFileError(_("Row %(row)s has more cells than the header has columns.") % {"row": number})
    return {name: cells[i] if i < len(cells) else None for i, name in enumerate(header) if name}


def _xlsx_rows(path: Path) -> Iterator[SourceRow]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_not_a_bomb(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (ParseError, InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        # openpyxl wraps the XML parser's refusal (defusedxml's: a DTD, an entity) in a ValueError.
        causes = (exc, exc.__cause__, exc.__context__)
        xml = next((e for e in causes if isinstance(e, ParseError | DefusedXmlException)), None)
        if xml is not None:
            raise ImportFileError(_("The workbook's XML cannot be read: %(reason)s.") % {"reason": xml}) from exc
        raise ImportFileError(_("This is not an XLSX workbook Excel or LibreOffice can open.")) from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = _header(next(rows, None))
        for number, cells in enumerate(rows, start=2):
            values = [_cell(cell) for cell in cells]
            if all(value in (None, "") for value in values):
                continue
            yield SourceRow(number, _row(header, values, number))
    except (ParseError, DefusedXmlException) as exc:
        # The sheet is read as it streams: broken XML, a NUL, or a declared entity surface here.
        raise ImportFileError(_("The workbook's XML cannot be read: %(reason)s.") % {"reason": exc}) from exc
    finally:
        workbook.close()


def _check_not_a_bomb(path: Path) -> None:
    """The sizes the archive declares are those zipfile holds each part to while inflating it."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(_("This is not an XLSX workbook Excel or LibreOffice can open.")) from exc
    expanded = sum(part.file_size for part in parts)
    inflated = any(part.file_size > 1024**2 and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1)
                   for part in parts)  # fmt: skip
    if expanded > XLSX_MAX_EXPANDED or inflated:
        raise ImportFileError(_("This workbook would inflate to %(size)s when opened: it is refused as a zip bomb.")
                              % {"size": filesizeformat(expanded)})  # fmt: skip


def _cell(value):
    # A spreadsheet's date cell is a date: the time of midnight it carries is no information.
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date()
    if isinstance(value, str):
        return value.strip()
    return value


def _geojson_rows(path: Path) -> Iterator[SourceRow]:
    try:
        document = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise ImportFileError(_("The file is not JSON: %(reason)s.") % {"reason": exc.msg}) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError(_("A GeoJSON file must hold a FeatureCollection."))
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError(_("The FeatureCollection has no list of features."))
    for number, feature in enumerate(features, start=1):
        yield _feature_row(number, feature)


def _feature_row(number: int, feature) -> SourceRow:
    if not isinstance(feature, dict):
        return SourceRow(number, {}, problems={"geometry": [_("This feature is not a JSON object.")]})
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        properties = {}
    row = SourceRow(number, dict(properties))
    geometry = feature.get("geometry")
    if geometry is not None:
        try:
            row.geometry = GEOSGeometry(json.dumps(geometry), srid=4326)
        except (GEOSException, GDALException, ValueError, TypeError):
            row.problems["geometry"] = [_("This geometry cannot be read as GeoJSON.")]
    return row


def _gdal_rows(path: Path, *, zipped: bool) -> Iterator[SourceRow]:
    """GDAL's ogr2ogr writes the file's first layer as GeoJSON lines in WGS84; read like GeoJSON."""
    if zipped:
        _check_shapefile(path)
    source = f"/vsizip/{path}" if zipped else str(path)
    command = ["ogr2ogr", "-f", "GeoJSONSeq", "/vsistdout/", source, "-t_srs", "EPSG:4326", "-lco", "RS=NO"]
    done = subprocess.run(command, capture_output=True, timeout=600, check=False)  # noqa: S603  # nosec B603 # ogr2ogr with a list of arguments and no shell; the file is one the import stored under IMPORT_ROOT
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ImportFileError(
            _("GDAL cannot read this file: %(reason)s") % {"reason": reason[-1] if reason else done.returncode}
        )
    for number, line in enumerate(done.stdout.decode("utf-8", "replace").splitlines(), start=1):
        if line.strip():
            yield _feature_row(number, json.loads(line))


def _check_shapefile(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(_("The file is not a zip archive.")) from exc
    # Without its .shp, GDAL reads the .dbf alone as a table of no geometry.
    if not any(name.lower().endswith(".shp") for name in names):
        raise ImportFileError(_("The zip file holds no Shapefile (.shp)."))
