"""Polygons read from what surveyors bring back: a GeoJSON, KML or GPX file, or GeoJSON or WKT text.

Files come from outside, so they are read defensively: a size cap before anything is parsed,
JSON with a bounded depth, XML through expat with any document type declaration refused (no
entity can be declared, so neither "billion laughs" nor external entities can be expanded).
Every refusal is a `GeoFileError` whose message is meant for the form field. Heights (KML
altitude, GeoJSON third coordinate) are dropped: the database stores 2D WGS84 polygons.
The domain's own geometry rules (valid ring, inside the country) stay with the services.
"""

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.etree import ElementTree
from xml.parsers import expat

from django.contrib.gis.geos import GEOSException, GEOSGeometry, LinearRing, MultiPolygon, Polygon
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

WGS84 = 4326
MAX_BYTES = 2 * 1024 * 1024
# GeoJSON nests a MultiPolygon four deep; features and collections add a few levels.
MAX_JSON_DEPTH = 20
# KML folders nest, yet never this deep; a deeper tree is an attack on the parser.
MAX_XML_DEPTH = 64
MAX_PARTS = 1000

GEOJSON_GEOMETRIES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
WGS84_CRS_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
                   "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:6.6:4326"}  # fmt: skip


class GeoFileError(ValueError):
    """A file or text that gives no usable polygon; the message says why, for its reader."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ReadGeometry:
    """The polygons found, as one multipolygon, and what the reader should know about them."""

    geometry: MultiPolygon
    notes: list[str] = field(default_factory=list)


@dataclass
class _Found:
    polygons: list[Polygon] = field(default_factory=list)
    points: int = 0
    lines: int = 0
    notes: list[str] = field(default_factory=list)


# --- Entry points ---------------------------------------------------------------------------


def read_geometry_file(uploaded) -> ReadGeometry:
    """An uploaded file (Django's UploadedFile): GeoJSON, KML or GPX, by its name or its content."""
    if uploaded.size is not None and uploaded.size > MAX_BYTES:
        raise GeoFileError(_too_large(uploaded.size))
    content = uploaded.read(MAX_BYTES + 1)
    return read_geometry_bytes(content, name=getattr(uploaded, "name", "") or "")


def read_geometry_bytes(content: bytes, *, name: str = "") -> ReadGeometry:
    if len(content) > MAX_BYTES:
        raise GeoFileError(_too_large(len(content)))
    if not content.strip():
        raise GeoFileError(_("The file is empty."))
    suffix = PurePath(name).suffix.lower()
    if suffix == ".kmz":
        raise GeoFileError(_("A KMZ file is a zipped KML: unzip it and load the .kml file inside."))
    if suffix in (".shp", ".zip", ".shx", ".dbf"):
        raise GeoFileError(_("Shapefiles are not read here: export the polygon as GeoJSON, KML or GPX."))
    expected = {".geojson": "GeoJSON", ".json": "GeoJSON", ".kml": "KML", ".gpx": "GPX"}.get(suffix)
    head = content.lstrip()[:1]
    if expected == "GeoJSON" or (expected is None and head in (b"{", b"[")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GeoFileError(_("The file is not valid GeoJSON: it is not UTF-8 text.")) from exc
        return _finish(_read_geojson(text))
    if expected is not None or head == b"<" or content.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return _finish(_read_xml(content, expected))
    raise GeoFileError(_("The file is neither GeoJSON, KML nor GPX."))


def read_geometry_text(text: str) -> ReadGeometry:
    """Pasted text: GeoJSON (as the map writes it), WKT, or the content of a KML or GPX file."""
    text = text.strip()
    if not text:
        raise GeoFileError(_("Draw the polygon, load a file or paste its coordinates."))
    if len(text) > MAX_BYTES:
        raise GeoFileError(_too_large(len(text)))
    if text[0] in "{[":
        return _finish(_read_geojson(text))
    if text[0] == "<":
        return _finish(_read_xml(text.encode("utf-8"), None))
    return _finish(_read_wkt(text))


def _too_large(size: int) -> str:
    return _("The file is too large (%(size).1f MB): the limit is %(limit)s MB.") % {
        "size": size / 1024 / 1024,
        "limit": MAX_BYTES // 1024 // 1024,
    }


def _finish(found: _Found) -> ReadGeometry:
    if not found.polygons:
        seen = []
        if found.points:
            seen.append(ngettext("%(count)s point", "%(count)s points", found.points) % {"count": found.points})
        if found.lines:
            seen.append(ngettext("%(count)s line", "%(count)s lines", found.lines) % {"count": found.lines})
        if seen:
            raise GeoFileError(_("No polygon in this file: it holds only %(what)s.") % {"what": ", ".join(seen)})
        raise GeoFileError(_("No polygon in this file."))
    if len(found.polygons) > MAX_PARTS:
        raise GeoFileError(
            _("%(count)s polygons: more than %(limit)s parts are not one hazardous area.")
            % {"count": len(found.polygons), "limit": MAX_PARTS}
        )
    notes = list(found.notes)
    if len(found.polygons) > 1:
        notes.append(
            _("More than one polygon: the %(count)s polygons are kept as a multipolygon, one area of %(count)s parts.")
            % {"count": len(found.polygons)}
        )
    ignored = found.points + found.lines
    if ignored:
        notes.append(
            ngettext(
                "%(count)s point or line of the file was not used: only polygons are.",
                "%(count)s points or lines of the file were not used: only polygons are.",
                ignored,
            )
            % {"count": ignored}
        )
    return ReadGeometry(MultiPolygon(*found.polygons, srid=WGS84), notes)


# --- Building polygons from coordinates -----------------------------------------------------


def _position(value, fmt: str) -> tuple[float, float]:
    """[longitude, latitude(, height)] as two finite numbers; any height is dropped."""
    if (
        not isinstance(value, list | tuple)
        or not 2 <= len(value) <= 4
        or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in value)
    ):
        raise GeoFileError(
            _("The file is not valid %(format)s: a position must be longitude and latitude numbers.") % {"format": fmt}
        )
    x, y = float(value[0]), float(value[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise GeoFileError(_("The file is not valid %(format)s: a coordinate is not a number.") % {"format": fmt})
    return x, y


def _ring(positions: list[tuple[float, float]], *, close: bool = True) -> LinearRing:
    positions = list(positions)
    if close and positions and positions[0] != positions[-1]:
        positions.append(positions[0])
    if len(set(positions)) < 3 or len(positions) < 4:
        raise GeoFileError(_("A polygon needs at least 3 distinct vertices."))
    return LinearRing(positions, srid=WGS84)


def _polygon(rings: list[list[tuple[float, float]]]) -> Polygon:
    if not rings:
        raise GeoFileError(_("A polygon has no outer ring."))
    built = [_ring(ring) for ring in rings]
    return Polygon(built[0], *built[1:], srid=WGS84)


# --- GeoJSON --------------------------------------------------------------------------------


def _read_geojson(text: str) -> _Found:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoFileError(
            _("The file is not valid GeoJSON: the JSON is malformed at line %(line)s, column %(column)s.")
            % {"line": exc.lineno, "column": exc.colno}
        ) from exc
    except RecursionError as exc:
        raise GeoFileError(_("The file is not valid GeoJSON: it is nested too deeply.")) from exc
    found = _Found()
    _check_crs(data)
    _geojson_object(data, found, depth=0)
    return found


def _check_crs(data) -> None:
    # RFC 7946 GeoJSON is always WGS84; an older file may name another system, which we refuse.
    crs = data.get("crs") if isinstance(data, dict) else None
    if not isinstance(crs, dict):
        return
    name = (crs.get("properties") or {}).get("name") if isinstance(crs.get("properties"), dict) else None
    if isinstance(name, str) and name not in WGS84_CRS_NAMES:
        raise GeoFileError(
            _("Coordinates must be in WGS84 (EPSG:4326), not %(crs)s: export the file again in WGS84.") % {"crs": name}
        )


def _geojson_object(data, found: _Found, *, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise GeoFileError(_("The file is not valid GeoJSON: it is nested too deeply."))
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise GeoFileError(_('The file is not valid GeoJSON: an object has no "type".'))
    kind = data["type"]
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise GeoFileError(_('The file is not valid GeoJSON: a FeatureCollection needs a "features" list.'))
        for feature in features:
            _geojson_object(feature, found, depth=depth + 1)
    elif kind == "Feature":
        if data.get("geometry") is not None:
            _geojson_object(data["geometry"], found, depth=depth + 1)
    elif kind == "GeometryCollection":
        geometries = data.get("geometries")
        if not isinstance(geometries, list):
            raise GeoFileError(_('The file is not valid GeoJSON: a GeometryCollection needs a "geometries" list.'))
        for geometry in geometries:
            _geojson_object(geometry, found, depth=depth + 1)
    elif kind in GEOJSON_GEOMETRIES:
        _geojson_geometry(kind, data.get("coordinates"), found)
    else:
        raise GeoFileError(_('The file is not valid GeoJSON: unknown type "%(type)s".') % {"type": kind[:40]})


# What a GeoJSON coordinates array holds, as an error message names it.
_LISTS = {
    "rings": pgettext_lazy("GeoJSON coordinates", "rings"),
    "positions": pgettext_lazy("GeoJSON coordinates", "positions"),
    "lines": pgettext_lazy("GeoJSON coordinates", "lines"),
    "polygons": pgettext_lazy("GeoJSON coordinates", "polygons"),
}


def _geojson_geometry(kind: str, coordinates, found: _Found) -> None:
    def listed(value, what: str) -> list:
        if not isinstance(value, list):
            raise GeoFileError(
                _("The file is not valid GeoJSON: the coordinates of a %(type)s are not %(what)s.")
                % {"type": kind, "what": _LISTS[what]}
            )
        return value

    def rings(value) -> list[list[tuple[float, float]]]:
        return [[_position(p, "GeoJSON") for p in listed(ring, "rings")] for ring in listed(value, "rings")]

    if kind == "Point":
        _position(coordinates, "GeoJSON")
        found.points += 1
    elif kind == "MultiPoint":
        found.points += len(listed(coordinates, "positions"))
    elif kind == "LineString":
        found.lines += 1
    elif kind == "MultiLineString":
        found.lines += len(listed(coordinates, "lines"))
    elif kind == "Polygon":
        found.polygons.append(_polygon(rings(coordinates)))
    else:
        for polygon in listed(coordinates, "polygons"):
            found.polygons.append(_polygon(rings(polygon)))


# --- WKT ------------------------------------------------------------------------------------


def _read_wkt(text: str) -> _Found:
    if not re.match(r"^\s*(SRID=\d+;\s*)?[A-Za-z]", text):
        raise GeoFileError(
            _("Paste GeoJSON or WKT, e.g. POLYGON((-4.19 14.49, -4.18 14.49, -4.18 14.5, -4.19 14.49)).")
        )
    try:
        geom = GEOSGeometry(text)
    except (GEOSException, ValueError, TypeError) as exc:
        raise GeoFileError(
            _("The text is not valid WKT: paste GeoJSON or WKT, e.g. POLYGON((-4.19 14.49, -4.18 14.49, -4.18 14.5, "
              "-4.19 14.49)).")
        ) from exc  # fmt: skip
    if geom.srid not in (None, WGS84):
        raise GeoFileError(_("Coordinates must be in WGS84 (EPSG:4326), not EPSG:%(srid)s.") % {"srid": geom.srid})
    found = _Found()
    _wkt_parts(geom, found)
    return found


def _wkt_parts(geom: GEOSGeometry, found: _Found) -> None:
    kind = geom.geom_type
    if kind == "Polygon":
        if not geom.empty:
            found.polygons.append(_polygon([[(c[0], c[1]) for c in ring.coords] for ring in geom]))
    elif kind in ("MultiPolygon", "GeometryCollection"):
        for part in geom:
            _wkt_parts(part, found)
    elif kind in ("Point", "MultiPoint"):
        found.points += max(geom.num_geom, 1)
    else:
        found.lines += max(geom.num_geom, 1)


# --- KML and GPX (XML) ----------------------------------------------------------------------


class _Refused(Exception):
    pass


def _local(name: str) -> str:
    # Namespaces vary by version (KML 2.1/2.2, GPX 1.0/1.1): elements are matched by local name.
    return name.rsplit(" ", 1)[-1]


def _parse_xml(content: bytes, fmt: str) -> ElementTree.Element:
    parser = expat.ParserCreate(namespace_separator=" ")
    builder = ElementTree.TreeBuilder()
    depth = 0

    def refuse(*args):
        raise _Refused(_("The file is not valid %(format)s: it declares a document type or entities, which %(format)s "
                         "files never need; such a file is refused.") % {"format": fmt})  # fmt: skip

    def start(name, attributes):
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise _Refused(_("The file is not valid %(format)s: it is nested too deeply.") % {"format": fmt})
        builder.start(_local(name), {_local(k): v for k, v in attributes.items()})

    def end(name):
        nonlocal depth
        depth -= 1
        builder.end(_local(name))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(content, True)
    except _Refused as exc:
        raise GeoFileError(str(exc)) from None
    except expat.ExpatError as exc:
        raise GeoFileError(
            _("The file is not valid %(format)s: the XML is malformed at line %(line)s, column %(column)s.")
            % {"format": fmt, "line": exc.lineno, "column": exc.offset + 1}
        ) from None
    return builder.close()


def _read_xml(content: bytes, expected: str | None) -> _Found:
    root = _parse_xml(content, expected or "KML")
    kind = root.tag.lower()
    if kind == "kml" and expected in (None, "KML"):
        return _read_kml(root)
    if kind == "gpx" and expected in (None, "GPX"):
        return _read_gpx(root)
    fmt = expected or "KML"
    raise GeoFileError(
        _("The file is not valid %(format)s: its root element is <%(root)s>, not <%(expected)s>.")
        % {"format": fmt, "root": root.tag[:40], "expected": fmt.lower()}
    )


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element if child.tag == name]


def _kml_coordinates(element: ElementTree.Element | None) -> list[tuple[float, float]]:
    """KML's "lon,lat[,alt] lon,lat[,alt] ..."; the altitude is dropped."""
    if element is None:
        raise GeoFileError(_("The file is not valid KML: a LinearRing has no coordinates."))
    text = re.sub(r"\s*,\s*", ",", element.text or "")
    positions = []
    for token in text.split():
        parts = token.split(",")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            raise GeoFileError(
                _('The file is not valid KML: "%(token)s" is not longitude,latitude.') % {"token": token[:40]}
            ) from None
        positions.append(_position(numbers, "KML"))
    return positions


def _kml_ring(boundary: ElementTree.Element) -> list[tuple[float, float]]:
    rings = _children(boundary, "LinearRing")
    if not rings:
        raise GeoFileError(_("The file is not valid KML: a polygon boundary has no LinearRing."))
    coordinates = _children(rings[0], "coordinates")
    return _kml_coordinates(coordinates[0] if coordinates else None)


def _read_kml(root: ElementTree.Element) -> _Found:
    found = _Found()
    for element in root.iter():
        if element.tag == "Polygon":
            outer = _children(element, "outerBoundaryIs")
            if not outer:
                raise GeoFileError(_("The file is not valid KML: a polygon has no outerBoundaryIs."))
            rings = [_kml_ring(outer[0])]
            for inner in _children(element, "innerBoundaryIs"):
                # KML 2.2 puts one ring in each innerBoundaryIs; older files put several in one.
                for ring in _children(inner, "LinearRing"):
                    coordinates = _children(ring, "coordinates")
                    rings.append(_kml_coordinates(coordinates[0] if coordinates else None))
            found.polygons.append(_polygon(rings))
        elif element.tag == "Point":
            found.points += 1
        elif element.tag == "LineString":
            found.lines += 1
    return found


def _gpx_point(element: ElementTree.Element) -> tuple[float, float]:
    try:
        return _position([float(element.attrib["lon"]), float(element.attrib["lat"])], "GPX")
    except (KeyError, ValueError):
        raise GeoFileError(_("The file is not valid GPX: a point has no valid lat and lon.")) from None


def _read_gpx(root: ElementTree.Element) -> _Found:
    """Tracks and routes walked around the area, each closed into a polygon; without any, the
    waypoints in their order (the corners a surveyor marked)."""
    found = _Found()
    paths = [segment for track in _children(root, "trk") for segment in _children(track, "trkseg")]
    paths += _children(root, "rte")
    closed = 0
    for path in paths:
        positions = [_gpx_point(point) for point in path if point.tag in ("trkpt", "rtept")]
        if len(set(positions)) < 3:
            found.lines += 1
            continue
        if positions[0] != positions[-1]:
            closed += 1
        found.polygons.append(_polygon([positions]))
    waypoints = [_gpx_point(point) for point in _children(root, "wpt")]
    if not found.polygons and len(set(waypoints)) >= 3:
        found.polygons.append(_polygon([waypoints]))
        found.notes.append(
            _("The file has no track: its %(count)s waypoints were joined, in their order, into a polygon.")
            % {"count": len(waypoints)}
        )
    else:
        found.points += len(waypoints)
    if closed:
        found.notes.append(
            ngettext(
                "A track was closed into a polygon by joining its last point to its first.",
                "%(count)s tracks were closed into polygons by joining their last point to their first.",
                closed,
            )
            % {"count": closed}
        )
    return found
