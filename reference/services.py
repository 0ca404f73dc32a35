"""Loading and versioning reference data: boundaries, localities, organisations, ordnance."""

import csv
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.validation import as_multipolygon
from reference.boundaries import Candidate, Flaw, LevelSpec, candidates_for_level, features_read, mapping_check
from reference.country import CountryConfig, level_name
from reference.models import NAME_COLUMNS, AdministrativeArea, Locality, OrdnanceType, Organisation
from reference.selectors import admin_area_for_geometry, admin_areas_current

# Column sizes of AdministrativeArea: longer values from a file are reported, not sent to PostgreSQL.
PCODE_MAX, NAME_MAX, ISO_CODE_MAX = 20, 120, 10


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    new_versions: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.new_versions} new boundary versions, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


@dataclass
class BoundaryLoadResult(LoadResult):
    """What loading one level of a boundary file did: counts of areas, features repaired or
    skipped, and one flaw per problem of a feature."""

    level: int = 1
    repaired: int = 0
    skipped: int = 0
    flaws: list[Flaw] = field(default_factory=list)
    # Changed boundaries refused for their valid-from date: the command then writes nothing.
    conflicts: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{super().__str__()}, {self.repaired} repaired, {self.skipped} skipped"


def _same_geometry(a: GEOSGeometry | None, b: GEOSGeometry | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    # Exact comparison within a millimetre-scale tolerance: re-reading a file must not
    # create a new boundary version.
    return a.equals_exact(b, tolerance=1e-8)


def admin_area_upsert(
    *,
    level: int,
    pcode: str,
    name_fr: str = "",
    name_en: str = "",
    names: Mapping[str, str] | None = None,
    iso_code: str = "",
    geometry: GEOSGeometry | None,
    valid_from: datetime.date,
    parent: AdministrativeArea | None,
    result: LoadResult,
) -> AdministrativeArea:
    """Creates the area, updates its names, or, when its boundary changed, closes the current
    version and opens a new one: history of boundaries survives (Mali's 2023 reform).

    `names` holds names in languages other than French and English (language code -> name);
    names not given keep their current value."""
    geometry = as_multipolygon(geometry)
    current = admin_areas_current().filter(pcode=pcode).first()
    other_names = {**(current.names if current else {}), **(names or {})}
    version = {
        "level": level, "pcode": pcode, "name_fr": name_fr or (current.name_fr if current else ""),
        "name_en": name_en or (current.name_en if current else ""), "names": other_names,
        "iso_code": iso_code or (current.iso_code if current else ""), "geometry": geometry,
        "valid_from": valid_from, "parent": parent,
    }  # fmt: skip
    if current is None:
        result.created += 1
        return AdministrativeArea.objects.create(**version)
    if geometry is not None and not _same_geometry(current.geometry, geometry) and current.geometry is not None:
        if valid_from <= current.valid_from:
            raise ApplicationError(
                _("The boundary of %(pcode)s changed: give a valid-from date after %(date)s.")
                % {"pcode": pcode, "date": current.valid_from},
                errors={"valid_from": [_("Must be after the current version's start.")]},
            )
        current.valid_to = valid_from
        current.save(update_fields=["valid_to", "updated_at"])
        result.new_versions += 1
        new = AdministrativeArea.objects.create(**version)
        # Children point to the current version of their parent.
        AdministrativeArea.objects.filter(parent=current, valid_to__isnull=True).update(parent=new)
        return new
    changes = {name: version[name] for name in ("level", "name_fr", "name_en", "names", "iso_code", "parent")}
    if current.geometry is None and geometry is not None:
        changes["geometry"] = geometry
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if changed:
        for name in changed:
            setattr(current, name, changes[name])
        current.save(update_fields=[*changed, "updated_at"])
        result.updated += 1
    else:
        result.unchanged += 1
    return current


def _parent_for(level: int, geometry: GEOSGeometry | None, country: AdministrativeArea | None):
    if level <= 1 or geometry is None:
        return country
    point = geometry.point_on_surface
    return admin_areas_current().filter(level=level - 1, geometry__covers=point).first() or country


def _parent(candidate: Candidate, spec: LevelSpec, country: AdministrativeArea | None) -> AdministrativeArea | None:
    """The parent the file names (`parent=` in the mapping), else the area one level up that
    contains the boundary, else the country."""
    if spec.level > 1 and candidate.parent_pcode:
        named = admin_areas_current().filter(pcode=candidate.parent_pcode, level=spec.level - 1).first()
        if named is not None:
            return named
        candidate.flaws.append(
            Flaw(
                candidate.feature, candidate.pcode,
                _("parent %(code)s (%(property)s) is not a current area of level %(level)s")
                % {"code": candidate.parent_pcode, "property": spec.properties["parent"], "level": spec.level - 1},
                _("parent found spatially"),
            )
        )  # fmt: skip
    return _parent_for(spec.level, candidate.geometry, country)


def _candidate_load(
    candidate: Candidate,
    spec: LevelSpec,
    *,
    iso: str,
    valid_from: datetime.date,
    country: AdministrativeArea | None,
    result: BoundaryLoadResult,
) -> None:
    props = spec.properties
    n = candidate.feature
    if len(candidate.pcode) > PCODE_MAX:
        problem = _("code longer than %(max)s characters") % {"max": PCODE_MAX}
        result.flaws.append(Flaw(n, candidate.pcode, problem, _("skipped"), skipped=True))
        result.skipped += 1
        return
    parent = _parent(candidate, spec, country)
    if not candidate.pcode:
        prefix = parent.pcode if parent is not None else iso
        generated = f"{prefix}-GEN-{n}"
        candidate.pcode = generated if len(generated) <= PCODE_MAX else f"{iso}-GEN-{n}"
        candidate.flaws.append(
            Flaw(
                n, "", _("no code (%(property)s)") % {"property": props["pcode"]},
                _("loaded as %(code)s") % {"code": candidate.pcode},
            )
        )  # fmt: skip
    names = dict(candidate.names)
    if not names:
        missing = _("no name (%(properties)s)") % {"properties": ", ".join(props[k] for k in spec.name_keys)}
        current = admin_areas_current().filter(pcode=candidate.pcode).first()
        # An area named after its code by an earlier load is named so again, not "kept".
        if current is not None and set(current.all_names.values()) - {candidate.pcode}:
            candidate.flaws.append(
                Flaw(n, candidate.pcode, missing, _("kept its current name %(name)r") % {"name": current.name})
            )
        else:
            names = {spec.name_keys[0][5:]: candidate.pcode}
            candidate.flaws.append(Flaw(n, candidate.pcode, missing, _("named after its code")))
    for language, name in list(names.items()):
        if len(name) > NAME_MAX:
            names[language] = name[:NAME_MAX]
            problem = _("name longer than %(max)s characters") % {"max": NAME_MAX}
            candidate.flaws.append(Flaw(n, candidate.pcode, problem, _("cut")))
    iso_code = candidate.iso_code
    if len(iso_code) > ISO_CODE_MAX:
        problem = _("ISO code %(code)r longer than %(max)s characters") % {"code": iso_code, "max": ISO_CODE_MAX}
        candidate.flaws.append(Flaw(n, candidate.pcode, problem, _("left out")))
        iso_code = ""
    try:
        admin_area_upsert(
            level=spec.level,
            pcode=candidate.pcode,
            name_fr=names.get("fr", ""),
            name_en=names.get("en", ""),
            names={k: v for k, v in names.items() if k not in NAME_COLUMNS},
            iso_code=iso_code,
            geometry=candidate.geometry,
            valid_from=valid_from,
            parent=parent,
            result=result,
        )
    except ApplicationError as exc:
        result.flaws.extend(candidate.flaws)
        result.flaws.append(Flaw(n, candidate.pcode, exc.message, _("skipped"), skipped=True))
        result.conflicts.append(exc.message)
        result.skipped += 1
        return
    if candidate.flaws:
        result.repaired += 1
        result.flaws.extend(candidate.flaws)


@transaction.atomic
def admin_areas_load_file(
    *,
    path: Path,
    levels: Sequence[LevelSpec],
    valid_from: datetime.date,
    iso: str,
    country: AdministrativeArea | None = None,
    layer: str | None = None,
    strict: bool = True,
) -> tuple[list[str], list[BoundaryLoadResult]]:
    """Loads one or more levels of boundaries from one file that GDAL reads (GeoJSON,
    GeoPackage, Shapefile...), in any coordinate system (reprojected to WGS84).

    Each level maps model fields (`pcode`, `name_<language>`, `iso_code`, `parent`) to the
    file's properties, so any country's file loads without code changes. Several levels from
    one file (an OCHA COD ADM2 file carries ADM1 codes and names): every level but the most
    detailed is dissolved on its code. A flawed feature never stops the load: a missing code
    is generated (`<parent or ISO>-GEN-<feature>`), a missing name taken from the code, an
    invalid geometry made valid; a duplicated code keeps its first feature and skips the
    others; what cannot be repaired is skipped. Returns notes on the file, and one result per
    level with every flaw.
    """
    if not levels:
        raise ApplicationError(_("Give at least one level to load."))
    for spec in levels:
        mapping_check(spec.properties)
    wanted = [prop for spec in levels for prop in spec.properties.values()]
    features, notes, absent, fields = features_read(path, properties=wanted, layer=layer, strict=strict)
    if absent:
        notes.append(_("Properties not in the file, ignored: %(names)s.") % {"names": ", ".join(absent)})
        levels = [
            LevelSpec(spec.level, {k: v for k, v in spec.properties.items() if v not in absent}, spec.dissolve)
            for spec in levels
        ]
        for spec in levels:
            if "pcode" not in spec.properties or not spec.name_keys:
                raise ApplicationError(
                    _("%(path)s has no property %(absent)s; its properties: %(fields)s. Give them with --map.")
                    % {"path": Path(path).name, "absent": ", ".join(absent), "fields": ", ".join(fields) or "–"}
                )
    finest = max(spec.level for spec in levels)
    results = []
    for spec in sorted(levels, key=lambda s: s.level):
        if spec.level < finest and not spec.dissolve:
            spec = LevelSpec(spec.level, spec.properties, dissolve=True)
        result = BoundaryLoadResult(level=spec.level)
        candidates, skipped = candidates_for_level(features, spec)
        result.flaws.extend(skipped)
        result.skipped += len({flaw.feature for flaw in skipped})
        for candidate in candidates:
            _candidate_load(candidate, spec, iso=iso, valid_from=valid_from, country=country, result=result)
        result.flaws.sort(key=lambda flaw: flaw.feature)
        results.append(result)
    return notes, results


def level_label(level: int, config: CountryConfig | None = None) -> str:
    """`Level 2 (Cercle)`: the level's number and its name in the manifest being loaded, else
    in the configured country's."""
    name = config.level_name(level) if config is not None else level_name(level)
    return _("Level %(level)s (%(name)s)") % {"level": level, "name": name}


@transaction.atomic
def country_area_refresh(
    *,
    iso: str,
    pcode: str,
    name_fr: str,
    name_en: str,
    names: Mapping[str, str] | None = None,
    valid_from: datetime.date,
    result: LoadResult,
) -> AdministrativeArea:
    """The country's boundary is the union of its current first-level areas (those of this
    country, or not yet attached to one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(a.geometry)), 3))) "
            "FROM reference_administrativearea a LEFT JOIN reference_administrativearea p ON p.id = a.parent_id "
            "WHERE a.level = 1 AND a.valid_to IS NULL AND a.geometry IS NOT NULL "
            "AND (a.parent_id IS NULL OR p.pcode = %s)",
            [pcode],
        )
        (wkb,) = cursor.fetchone()
    geometry = GEOSGeometry(memoryview(bytes(wkb))) if wkb else None
    country = admin_area_upsert(
        level=AdministrativeArea.Level.COUNTRY,
        pcode=pcode,
        name_fr=name_fr,
        name_en=name_en,
        names=names,
        iso_code=iso,
        geometry=geometry,
        valid_from=valid_from,
        parent=None,
        result=result,
    )
    admin_areas_current().filter(Q(parent__isnull=True) | Q(parent__pcode=pcode), level=1).exclude(
        parent=country
    ).update(parent=country)
    return country


@transaction.atomic
def localities_load_csv(*, path: Path) -> LoadResult:
    """Localities from a CSV with name, kind, longitude, latitude, population columns."""
    result = LoadResult()
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                point = Point(float(row["longitude"]), float(row["latitude"]), srid=4326)
                population = int(row["population"]) if row.get("population") else None
            except (KeyError, ValueError) as exc:
                raise ApplicationError(
                    _("%(path)s line %(line)s: %(error)s") % {"path": path, "line": line, "error": exc}
                ) from exc
            defaults = {
                "kind": row.get("kind") or Locality.Kind.VILLAGE,
                "population": population or None,
                "admin_area": admin_area_for_geometry(point),
                "pcode": row.get("pcode", ""),
            }
            existing = Locality.objects.filter(name=row["name"], location__equals=point).first()
            if existing is None:
                Locality.objects.create(name=row["name"], location=point, **defaults)
                result.created += 1
            elif any(getattr(existing, k) != v for k, v in defaults.items()):
                Locality.objects.filter(pk=existing.pk).update(**defaults)
                result.updated += 1
            else:
                result.unchanged += 1
    return result


def _upsert_by(model, key: str, rows: list[dict[str, Any]]) -> LoadResult:
    result = LoadResult()
    for row in rows:
        data = {k: v for k, v in row.items() if k != "note"}
        obj, created = model.objects.get_or_create(**{key: data[key]}, defaults=data)
        if created:
            result.created += 1
            continue
        changed = [k for k, v in data.items() if getattr(obj, k) != v]
        if changed:
            for k in changed:
                setattr(obj, k, data[k])
            obj.full_clean()
            obj.save(update_fields=[*changed, "updated_at"])
            result.updated += 1
        else:
            result.unchanged += 1
    return result


@transaction.atomic
def organisations_load(*, rows: list[dict[str, Any]]) -> LoadResult:
    return _upsert_by(Organisation, "acronym", rows)


@transaction.atomic
def ordnance_types_load(*, rows: list[dict[str, Any]]) -> LoadResult:
    return _upsert_by(OrdnanceType, "model", rows)
