"""Loading and versioning reference data: boundaries, localities, organisations, ordnance."""

import csv
import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.validation import as_multipolygon
from reference.models import AdministrativeArea, Locality, OrdnanceType, Organisation
from reference.selectors import admin_area_for_geometry, admin_areas_current

REQUIRED_PROPERTIES = ("pcode", "name_fr")


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
    name_fr: str,
    name_en: str = "",
    iso_code: str = "",
    geometry: GEOSGeometry | None,
    valid_from: datetime.date,
    parent: AdministrativeArea | None,
    result: LoadResult,
) -> AdministrativeArea:
    """Creates the area, updates its names, or, when its boundary changed, closes the current
    version and opens a new one: history of boundaries survives (Mali's 2023 reform)."""
    geometry = as_multipolygon(geometry)
    version = {
        "level": level, "pcode": pcode, "name_fr": name_fr, "name_en": name_en, "iso_code": iso_code,
        "geometry": geometry, "valid_from": valid_from, "parent": parent,
    }  # fmt: skip
    current = admin_areas_current().filter(pcode=pcode).first()
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
    changes = {
        "level": level,
        "name_fr": name_fr,
        "name_en": name_en or current.name_en,
        "iso_code": iso_code or current.iso_code,
        "parent": parent,
    }
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


@transaction.atomic
def admin_areas_load_geojson(
    *,
    path: Path,
    level: int,
    properties: Mapping[str, str],
    valid_from: datetime.date,
    country: AdministrativeArea | None = None,
) -> LoadResult:
    """Loads one level of boundaries from a GeoJSON FeatureCollection in WGS84.

    `properties` maps model fields (pcode, name_fr, name_en, iso_code) to the file's
    property names, so any country's file can be read without code changes.
    """
    missing = [name for name in REQUIRED_PROPERTIES if name not in properties]
    if missing:
        raise ApplicationError(_("The property mapping needs %(names)s.") % {"names": ", ".join(missing)})
    try:
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
        features = collection["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ApplicationError(
            _("%(path)s is not a GeoJSON FeatureCollection: %(error)s") % {"path": path, "error": exc}
        ) from exc
    result = LoadResult()
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        values = {name: str(props.get(source) or "").strip() for name, source in properties.items()}
        if not values["pcode"] or not values["name_fr"]:
            raise ApplicationError(
                _("Feature %(n)s has no %(fields)s.") % {"n": number, "fields": " / ".join(REQUIRED_PROPERTIES)}
            )
        try:
            geometry = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        except (ValueError, KeyError, TypeError) as exc:
            raise ApplicationError(_("Feature %(n)s has no readable geometry.") % {"n": number}) from exc
        if not geometry.valid:
            # Published boundaries often carry self-intersections; repair rather than refuse.
            geometry = geometry.make_valid()
            result.notes.append(_("%(pcode)s: geometry repaired") % {"pcode": values["pcode"]})
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            geometry = MultiPolygon([g for g in geometry if g.geom_type == "Polygon"], srid=4326)
        admin_area_upsert(
            level=level,
            pcode=values["pcode"],
            name_fr=values["name_fr"],
            name_en=values.get("name_en", ""),
            iso_code=values.get("iso_code", ""),
            geometry=geometry,
            valid_from=valid_from,
            parent=_parent_for(level, geometry, country),
            result=result,
        )
    return result


@transaction.atomic
def country_area_refresh(
    *, iso: str, pcode: str, name_fr: str, name_en: str, valid_from: datetime.date, result: LoadResult
) -> AdministrativeArea:
    """The country's boundary is the union of its current first-level areas."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geometry)), 3))) "
            "FROM reference_administrativearea WHERE level = 1 AND valid_to IS NULL AND geometry IS NOT NULL"
        )
        (wkb,) = cursor.fetchone()
    geometry = GEOSGeometry(memoryview(bytes(wkb))) if wkb else None
    country = admin_area_upsert(
        level=AdministrativeArea.Level.COUNTRY,
        pcode=pcode,
        name_fr=name_fr,
        name_en=name_en,
        iso_code=iso,
        geometry=geometry,
        valid_from=valid_from,
        parent=None,
        result=result,
    )
    admin_areas_current().filter(level=1).exclude(parent=country).update(parent=country)
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
