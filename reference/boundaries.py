"""Reading boundary files of any format GDAL reads (GeoJSON, GeoPackage, Shapefile...), as
OCHA CODs and geoBoundaries publish them, and checking each feature before it is loaded.

Nothing here writes: flaws are collected per feature (its number in the file and its code),
repaired where they can be, and the feature left out where not; the service
`reference.services.admin_areas_load_file` writes what is left and reports it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import DataSource, GDALException, OGRGeometry, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.utils.translation import gettext as _

from reference.country import language_code

# Keys of a property mapping besides `name_<language>`.
MAPPING_KEYS = ("pcode", "iso_code", "parent")


@dataclass
class Flaw:
    """One problem of one feature, and what the load did about it."""

    feature: int
    code: str
    problem: str
    action: str
    skipped: bool = False

    def __str__(self) -> str:
        return _("feature %(n)s [%(code)s]: %(problem)s: %(action)s") % {
            "n": self.feature,
            "code": self.code or _("no code"),
            "problem": self.problem,
            "action": self.action,
        }


@dataclass
class Feature:
    """One feature of the file: its number (from 1, in file order), its properties and its
    geometry in WGS84, or why the geometry could not be read."""

    number: int
    properties: dict[str, str]
    geometry: GEOSGeometry | None
    geometry_problem: str = ""


@dataclass
class Candidate:
    """An area ready to load at one level: one feature, or the features dissolved on a code."""

    feature: int
    pcode: str
    names: dict[str, str]
    iso_code: str
    parent_pcode: str
    geometry: MultiPolygon
    flaws: list[Flaw] = field(default_factory=list)


@dataclass(frozen=True)
class LevelSpec:
    """What to load at one level: the mapping of model fields to the file's properties
    (`pcode`, `name_<language>`, `iso_code`, `parent`), and whether features sharing a code
    are one area (an ADM1 level read from an ADM2 file)."""

    level: int
    properties: Mapping[str, str]
    dissolve: bool = False

    @property
    def name_keys(self) -> list[str]:
        return [key for key in self.properties if key.startswith("name_")]


def mapping_check(properties: Mapping[str, str]) -> None:
    """A mapping needs `pcode` and at least one `name_<language>`; other keys are refused by name."""
    from core.exceptions import ApplicationError

    unknown = [k for k in properties if k not in MAPPING_KEYS and not (k.startswith("name_") and len(k) > 5)]
    if unknown:
        raise ApplicationError(
            _("Unknown keys in the property mapping: %(keys)s (use pcode, name_<language>, iso_code, parent).")
            % {"keys": ", ".join(unknown)}
        )
    if "pcode" not in properties or not any(k.startswith("name_") for k in properties):
        raise ApplicationError(_("The property mapping needs pcode and at least one name_<language>, e.g. name_fr."))


def _text(value) -> str:
    # Codes stored as numbers come back as 101 or 101.0: both are "101".
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _wgs84(ogr: OGRGeometry, source_srs: SpatialReference | None) -> GEOSGeometry:
    if source_srs is not None and source_srs.srid != 4326:
        ogr.transform(SpatialReference(4326))
    # The boundary column is 2D: heights are dropped, not refused.
    ogr.set_3d(False)
    ogr.set_measured(False)
    geometry = ogr.geos
    geometry.srid = 4326
    return geometry


def features_read(path: Path, *, properties: Sequence[str], layer: str | None = None, strict: bool = True):
    """Reads the file once: its features with the properties named, and notes about the file.

    Returns (features, notes, absent, fields): `absent` lists the properties the layer lacks,
    `fields` those it has; with `strict`, any absent property refuses the file, naming them.
    """
    from core.exceptions import ApplicationError

    try:
        source = DataSource(str(path))
    except GDALException as exc:
        raise ApplicationError(
            _("%(path)s cannot be read as a vector file (GeoJSON, GeoPackage, Shapefile...): %(error)s")
            % {"path": path, "error": exc}
        ) from exc
    notes: list[str] = []
    names = [source[i].name for i in range(len(source))]
    if layer is None:
        chosen = source[0]
        if len(names) > 1:
            notes.append(
                _("%(path)s has %(n)s layers (%(names)s): read %(layer)s; choose another with --layer.")
                % {"path": Path(path).name, "n": len(names), "names": ", ".join(names), "layer": names[0]}
            )
    elif layer in names:
        chosen = source[layer]
    else:
        raise ApplicationError(
            _("%(path)s has no layer %(layer)s; its layers: %(names)s.")
            % {"path": path, "layer": layer, "names": ", ".join(names)}
        )
    fields = list(chosen.fields)
    # Published files differ in case (ADM1_PCODE, adm1_pcode): match it when unambiguous.
    by_lower: dict[str, list[str]] = {}
    for name in fields:
        by_lower.setdefault(name.lower(), []).append(name)
    resolved: dict[str, str] = {}
    absent = []
    for wanted in dict.fromkeys(properties):
        if wanted in fields:
            resolved[wanted] = wanted
        elif len(by_lower.get(wanted.lower(), [])) == 1:
            resolved[wanted] = by_lower[wanted.lower()][0]
        else:
            absent.append(wanted)
    if absent and strict:
        raise ApplicationError(
            _("%(path)s has no property %(absent)s; its properties: %(fields)s.")
            % {"path": Path(path).name, "absent": ", ".join(absent), "fields": ", ".join(fields) or "–"}
        )
    if chosen.srs is None:
        notes.append(
            _("%(path)s gives no coordinate system: read as WGS84 longitude/latitude.") % {"path": Path(path).name}
        )
    features = []
    for number, feature in enumerate(chosen, start=1):
        values = {wanted: _text(feature.get(actual)) for wanted, actual in resolved.items()}
        try:
            geometry = _wgs84(feature.geom, chosen.srs)
        except (GDALException, GEOSException, ValueError) as exc:
            problem = (
                _("no geometry")
                if "Invalid geometry pointer" in str(exc)
                else _("unreadable geometry (%(e)s)") % {"e": exc}
            )
            features.append(Feature(number, values, None, problem))
            continue
        features.append(Feature(number, values, geometry))
    return features, notes, absent, fields


def _polygons(geometry: GEOSGeometry) -> list[Polygon]:
    if geometry.geom_type == "Polygon":
        return [geometry] if not geometry.empty else []
    if geometry.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [part for member in geometry for part in _polygons(member)]
    return []


def geometry_checked(feature: Feature, code: str) -> tuple[MultiPolygon | None, list[Flaw]]:
    """The feature's boundary as a valid WGS84 multipolygon, repaired where it can be (GEOS
    make_valid, as PostGIS's ST_MakeValid), with what was wrong; None when nothing is left."""
    n = feature.number
    if feature.geometry is None:
        return None, [Flaw(n, code, feature.geometry_problem, _("skipped"), skipped=True)]
    geometry = feature.geometry
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        problem = _("a %(type)s, not a polygon") % {"type": geometry.geom_type}
        return None, [Flaw(n, code, problem, _("skipped"), skipped=True)]
    if geometry.empty:
        return None, [Flaw(n, code, _("empty geometry"), _("skipped"), skipped=True)]
    xmin, ymin, xmax, ymax = geometry.extent
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        problem = _("coordinates out of longitude/latitude range (is the file's coordinate system declared?)")
        return None, [Flaw(n, code, problem, _("skipped"), skipped=True)]
    flaws = []
    if not geometry.valid:
        reason = geometry.valid_reason
        try:
            repaired = _polygons(geometry.make_valid())
        except GEOSException:
            repaired = []
        if not repaired:
            problem = _("invalid geometry (%(reason)s)") % {"reason": reason}
            return None, [Flaw(n, code, problem, _("cannot be repaired: skipped"), skipped=True)]
        geometry = MultiPolygon(repaired, srid=4326)
        if not geometry.valid:
            # Parts of a repaired collection may touch along an edge: merge them.
            geometry = geometry.unary_union
        flaws.append(Flaw(n, code, _("invalid geometry (%(reason)s)") % {"reason": reason}, _("repaired")))
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon(geometry, srid=4326)
    return geometry, flaws


def _names(spec: LevelSpec, values: Mapping[str, str]) -> dict[str, str]:
    return {language_code(key[5:]): values.get(key, "") for key in spec.name_keys if values.get(key)}


def candidates_for_level(features: Sequence[Feature], spec: LevelSpec) -> tuple[list[Candidate], list[Flaw]]:
    """The areas of one level and the flaws of features left out.

    Without `dissolve`, a code seen twice keeps its first feature and skips the others, naming
    the duplicate (a duplicate is never taken for a changed boundary). With `dissolve`, features
    sharing a code are merged into one area.
    """
    props = spec.properties
    skipped: list[Flaw] = []
    candidates: dict[str, Candidate] = {}
    unnamed: list[Candidate] = []
    for feature in features:
        values = {key: feature.properties.get(prop, "") for key, prop in props.items()}
        code = values.get("pcode", "")
        geometry, flaws = geometry_checked(feature, code)
        if geometry is None:
            skipped.extend(flaws)
            continue
        if code and code in candidates and not spec.dissolve:
            first = candidates[code].feature
            skipped.append(
                Flaw(
                    feature.number, code,
                    _("duplicate code %(code)s, already given by feature %(first)s") % {"code": code, "first": first},
                    _("skipped (feature %(first)s kept)") % {"first": first},
                    skipped=True,
                )
            )  # fmt: skip
            continue
        if not code and spec.dissolve:
            problem = _("no code (%(property)s)") % {"property": props["pcode"]}
            skipped.append(
                Flaw(feature.number, code, problem, _("cannot tell which area it belongs to: skipped"), skipped=True)
            )
            continue
        names = _names(spec, values)
        if code in candidates:
            merged = candidates[code]
            merged.geometry = MultiPolygon([*merged.geometry, *geometry], srid=4326)
            merged.flaws.extend(flaws)
            for language, name in names.items():
                if not merged.names.get(language):
                    merged.names[language] = name
                elif merged.names[language] != name:
                    merged.flaws.append(
                        Flaw(
                            feature.number, code,
                            _("name %(name)r differs from feature %(n)s's") % {"name": name, "n": merged.feature},
                            _("kept %(kept)r") % {"kept": merged.names[language]},
                        )
                    )  # fmt: skip
            merged.parent_pcode = merged.parent_pcode or values.get("parent", "")
            continue
        candidate = Candidate(
            feature=feature.number,
            pcode=code,
            names=names,
            iso_code=values.get("iso_code", ""),
            parent_pcode=values.get("parent", ""),
            geometry=geometry,
            flaws=flaws,
        )
        if code:
            candidates[code] = candidate
        else:
            unnamed.append(candidate)
    for candidate in candidates.values():
        if spec.dissolve and len(candidate.geometry) > 1:
            union = candidate.geometry.unary_union
            candidate.geometry = MultiPolygon(_polygons(union), srid=4326)
    ordered = sorted([*candidates.values(), *unnamed], key=lambda c: c.feature)
    return ordered, skipped
