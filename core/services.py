"""Helpers every domain service uses: applying input, reference codes, saving."""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, RecordChanged
from core.statistics import statistics_changed

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
    """Record who changed the record (the first writer is its creator) and raise its version.
    Every service stamps what it saves: the figures' generation moves on too (core.statistics)."""
    statistics_changed(type(instance))
    if user is not None and getattr(user, "pk", None):
        if instance._state.adding:
            instance.created_by = user
        instance.updated_by = user
    if hasattr(instance, "version") and not instance._state.adding:
        instance.version += 1


def record_write(record: M, *, user: Any, data: Mapping[str, Any], allowed: set[str], validate) -> M:
    """The shape of every simple create and update: the user's right asked (core.policy), input
    applied, rules checked, author stamped, saved. Callers hold the transaction (and the row
    lock for an update)."""
    from core import policy

    if record._state.adding:
        policy.check_report_for(user, type(record), record.organisation)
    else:
        policy.check_change(user, record)
    apply_fields(record, data, allowed=allowed)
    validate(record)
    stamp(record, user)
    record.save()
    return record


def clean_text(value: Any, field: str, *, max_length: int) -> str:
    """Free text of an act (a reason): a string, without NUL characters, within its column."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApplicationError(_("Give the %(field)s as text.") % {"field": field}, errors={field: [_("Give text.")]})
    if "\x00" in value:
        raise ApplicationError(_("The record is not valid."), errors={field: [_("Null characters are not allowed.")]})
    value = value.strip()
    if len(value) > max_length:
        raise ApplicationError(
            _("The record is not valid."),
            errors={field: [_("At most %(max)d characters (%(length)d given).") % {"max": max_length,
                                                                                  "length": len(value)}]},
        )  # fmt: skip
    return value


def external_id_lock(model: type[models.Model], *, organisation_id: int, external_id: str, scope: str = "") -> None:
    """Serialise writes of one reporter's identifier until the transaction ends: a client that
    retries after a dropped connection sends the same record several times at once, and the
    retries must find the first one's record rather than race it to the unique constraint."""
    key = f"{model._meta.label_lower}:{organisation_id}:{scope}:{external_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def owner_touch(part: models.Model, user: Any) -> None:
    """A part of a report (a casualty, an item found) changed: it is a new version of the record
    carrying it (ETag, If-None-Match, and `updated_since` syncs see it)."""
    from core import registry

    entry = registry.get(part)
    if not entry.owner_path:
        return
    owner = entry.owner(part)
    type(owner).all_objects.filter(pk=owner.pk).update(
        version=models.F("version") + 1,
        updated_at=timezone.now(),
        updated_by=user if getattr(user, "pk", None) else None,
    )


def part_write(part: M, *, user: Any, data: Mapping[str, Any], allowed: set[str], validate) -> M:
    """A part of a report (an item found, an inspection) written after the caller asked the
    policy: input applied, rules checked, author stamped, saved, its report's version raised."""
    apply_fields(part, data, allowed=allowed)
    validate(part)
    stamp(part, user)
    part.save()
    owner_touch(part, user)
    return part


@transaction.atomic
def part_add(part: M, *, parent: models.Model, user: Any, data: Mapping[str, Any], allowed: set[str], validate) -> M:
    """A new part of `parent`'s report, if the user may add to it (core.policy.check_add_to)."""
    from core import policy

    policy.check_add_to(user, type(part), parent)
    return part_write(part, user=user, data=data, allowed=allowed, validate=validate)


@transaction.atomic
def part_update(part: M, *, user: Any, data: Mapping[str, Any], allowed: set[str], validate) -> M:
    """A part of a report changed, locked first, if the user may change it (core.policy.check_change)."""
    from core import policy

    part = type(part).objects.select_for_update().get(pk=part.pk)
    policy.check_change(user, part)
    return part_write(part, user=user, data=data, allowed=allowed, validate=validate)


@transaction.atomic
def part_delete(*, part: models.Model, user: Any) -> None:
    """A part of a report removed (core.policy.check_delete): its last state stays in the history."""
    from core import policy
    from core.history import recorded

    part = type(part).objects.select_for_update().get(pk=part.pk)
    policy.check_delete(user, part)
    with recorded(user=user, action="delete"):
        owner_touch(part, user)
        part.delete()
    statistics_changed(type(part))


def record_lock_as_read(*, record: M, user: Any, version: int | None) -> M:
    """The record locked until the transaction ends, if it is still the version the user read on
    a form: a change saved since then would otherwise be silently undone (RecordChanged). Without
    a version, only the user's own last change may be written over, as the API's If-Match rule
    (core.api.concurrency); a record deleted meanwhile has changed too."""
    locked = type(record)._default_manager.select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise RecordChanged()
    if version is None and getattr(locked, "updated_by_id", None) != getattr(user, "pk", None):
        raise RecordChanged()
    if version is not None and version != locked.version:
        raise RecordChanged()
    return locked
