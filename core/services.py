"""Helpers every domain service uses: applying input, reference codes, saving."""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

M = TypeVar("M", bound=models.Model)

# Reference code prefixes; one PostgreSQL sequence each (core migration 0001).
REFERENCE_PREFIXES = ("HA", "LR", "INC", "RE", "CR")


def next_reference(prefix: str) -> str:
    """A human-readable, never reused code such as ML-INC-000123."""
    if prefix not in REFERENCE_PREFIXES:
        raise ValueError(f"unknown reference prefix {prefix!r}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [f"reference_{prefix.lower()}_seq"])
        (number,) = cursor.fetchone()
    return format_reference(prefix, number)


def format_reference(prefix: str, number: int) -> str:
    return f"{settings.COUNTRY_ISO}-{prefix}-{number:06d}"


def apply_fields(instance: M, data: Mapping[str, Any], *, allowed: set[str]) -> M:
    """Copy input onto a model instance; a field that cannot be set is an error, not ignored."""
    errors = {name: [_("This field cannot be set.")] for name in sorted(set(data) - allowed)}
    if errors:
        raise ApplicationError(_("Unknown or read-only fields."), errors=errors)
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if isinstance(field, GeometryField) and isinstance(value, GEOSGeometry):
            # One polygon is a multipolygon of one part; any other type is an error to report.
            if field.geom_type == "MULTIPOLYGON" and value.geom_type == "Polygon":
                value = MultiPolygon(value, srid=value.srid)
            if field.geom_type != "GEOMETRY" and value.geom_type.upper() != field.geom_type:
                expected = "MultiPolygon" if field.geom_type == "MULTIPOLYGON" else field.geom_type.title()
                errors[name] = [_("Expected a %(kind)s, got a %(type)s.") % {"kind": expected, "type": value.geom_type}]
                continue
        elif not field.is_relation and not isinstance(field, GeometryField) and value is not None:
            # Text from forms, files or JSON becomes the field's type before any rule compares it.
            try:
                value = field.to_python(value)
            except ValidationError as exc:
                errors[name] = exc.messages
                continue
        try:
            setattr(instance, name, value)
        except (TypeError, ValueError) as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ApplicationError(_("The record is not valid."), errors=errors)
    return instance


def editable_fields(model: type[models.Model], *, exclude: set[str] = frozenset()) -> set[str]:
    """Names a caller may set: concrete, editable fields, minus those a service derives."""
    derived = {"id", "created_at", "updated_at", "created_by", "updated_by", "status"}
    names = set()
    for field in model._meta.concrete_fields:
        if field.editable and not field.primary_key and field.name not in derived | exclude:
            names.add(field.name)
    return names


def stamp(instance: models.Model, user: Any) -> None:
    """Record who changed the record (the first writer is its creator) and raise its version."""
    if user is not None and getattr(user, "pk", None):
        if instance._state.adding:
            instance.created_by = user
        instance.updated_by = user
    if hasattr(instance, "version") and not instance._state.adding:
        instance.version += 1


def record_write(record: M, *, user: Any, data: Mapping[str, Any], allowed: set[str], validate) -> M:
    """The shape of every simple create and update: input applied, rules checked, author
    stamped, saved. Callers hold the transaction (and the row lock for an update)."""
    apply_fields(record, data, allowed=allowed)
    validate(record)
    stamp(record, user)
    record.save()
    return record
