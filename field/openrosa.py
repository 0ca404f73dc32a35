"""Reading what ODK Collect and KoboToolbox send: XForm instances, geopoints, geoshapes.

Input XML is parsed with defusedxml only, and with no DTD at all: an instance never needs one,
and entity tricks (billion laughs, external entities) live there.
"""

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.contrib.gis.geos import GEOSException, Point, Polygon
from django.utils.translation import gettext as _

from core.validation import SURROGATE

WGS84 = 4326


class InstanceError(ValueError):
    """The instance cannot be read: `message` says why, for the sender."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Instance:
    form_id: str
    version: str
    instance_id: str
    root: Element


def _local(tag: str) -> str:
    """A tag without its namespace: Collect writes meta as orx:meta in some versions."""
    return tag.rsplit("}", 1)[-1]


def instance_parse(xml: bytes) -> Instance:
    """The form id and version (attributes of the root) and `meta/instanceID` of an XForm instance."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InstanceError(_("The XML declares a DTD or entities, which are refused.")) from exc
    except ParseError as exc:
        raise InstanceError(_("The XML is not well-formed: %(error)s.") % {"error": exc}) from exc
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise InstanceError(_("The instance does not say its form: its root element has no id attribute."))
    instance_id = ""
    for child in root:
        if _local(child.tag) == "meta":
            for item in child:
                if _local(item.tag) == "instanceID":
                    instance_id = (item.text or "").strip()
    if not instance_id:
        raise InstanceError(_("The instance has no meta/instanceID."))
    return Instance(form_id=form_id, version=(root.get("version") or "").strip(), instance_id=instance_id, root=root)


def instance_data(root: Element, repeats: frozenset[str]) -> dict[str, Any]:
    """The answers by question name: groups are flattened (names are unique in a form), each
    repeat becomes a list of dicts; metadata is left out."""
    data: dict[str, Any] = {}
    _flatten(root, repeats, data)
    return data


def _flatten(element: Element, repeats: frozenset[str], into: dict[str, Any]) -> None:
    for child in element:
        name = _local(child.tag)
        if name == "meta":
            continue
        if name in repeats:
            entry: dict[str, Any] = {}
            _flatten(child, repeats, entry)
            into.setdefault(name, []).append(entry)
        elif len(child):
            _flatten(child, repeats, into)
        else:
            into[name] = (child.text or "").strip()


def kobo_row_data(row: dict[str, Any], repeats: frozenset[str]) -> dict[str, Any]:
    """A KoboToolbox JSON row as the same answers by question name: keys carry their group path
    ("group/field"), repeats are lists of dicts whose keys carry the repeat's path; Kobo's own keys
    (`_uuid`, `_submission_time`...) and metadata are left out."""
    data: dict[str, Any] = {}
    for key, value in row.items():
        name = key.rsplit("/", 1)[-1]
        if key.startswith(("_", "meta/", "formhub/")) or name.startswith("_"):
            continue
        if name in repeats and isinstance(value, list):
            data[name] = [kobo_row_data(item, repeats) for item in value if isinstance(item, dict)]
        elif isinstance(value, str | int | float):
            # PostgreSQL refuses NUL in text and UTF-8 has no lone surrogate: a value carrying one is
            # a typing or encoding accident, dropped so that the rest of the row is read.
            data[name] = SURROGATE.sub("\ufffd", str(value).replace("\x00", "")).strip()
    return data


def _coordinates(text: str) -> tuple[float, float]:
    parts = text.split()
    if len(parts) < 2:
        raise ValueError(text)
    latitude, longitude = float(parts[0]), float(parts[1])
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(text)
    return longitude, latitude


def geopoint(text: str) -> Point:
    """ODK's "latitude longitude altitude accuracy" as a 2D point (longitude, latitude) in WGS84."""
    try:
        return Point(*_coordinates(text), srid=WGS84)
    except ValueError as exc:
        raise InstanceError(
            _("“%(value)s” is not a point: send “latitude longitude altitude accuracy”.") % {"value": text[:80]}
        ) from exc


def geoshape(text: str) -> Polygon:
    """ODK's "lat lon alt acc; lat lon alt acc; ..." as a polygon in WGS84, closed if the sender
    left it open. Its validity is the service's question (it says why it is not valid)."""
    try:
        ring = [_coordinates(vertex) for vertex in text.split(";") if vertex.strip()]
    except ValueError as exc:
        raise InstanceError(
            _("“%(value)s” is not a shape: send “latitude longitude altitude accuracy” vertices separated by “;”.")
            % {"value": text[:80]}
        ) from exc
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise InstanceError(_("A polygon needs at least 3 distinct vertices."))
    try:
        return Polygon(ring, srid=WGS84)
    except (GEOSException, ValueError, TypeError) as exc:
        raise InstanceError(_("The shape is not a polygon.")) from exc
