"""One entry per record type of the national database, filled by each app's `AppConfig.ready()`.

What the ground floor needs to know about a record type (its API name, geometry, date and
category fields, the path to the record carrying organisation and status, the path to its
administrative area, what to do after its status changed) is told here, so that `core` and
every door above it (queue, roles, filters, quality checks, later OGC collections, tiles,
exports and dashboards) read one list instead of importing the domain apps.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Model


@dataclass(frozen=True)
class RecordType:
    model: type[Model]
    # The API's resource name, e.g. "hazard-areas"; None for types without their own endpoint.
    slug: str | None
    geometry_field: str | None = None
    date_field: str | None = None
    # The field saying whether `date_field` is known to the day, the month or the year
    # (core.models.DatePrecision); None when the date is always a day.
    date_precision_field: str | None = None
    category_field: str | None = None
    # Path from this record to the one carrying organisation and status, e.g. "incident__".
    owner_path: str = ""
    # Path to the administrative area, for région scoping and filters.
    region_path: str = "admin_area"
    # Fields a partner who did not write the record must not read (personal data).
    personal_fields: tuple[str, ...] = ()
    # Fields an export or an open-data download carries (never personal data).
    export_fields: tuple[str, ...] = ()
    # Written by the national authority only (quality inspections); partners read their own.
    authority_writes: bool = False
    # Roles' duties this type belongs to (accounts.roles): "operations", "quality".
    duties: frozenset[str] = field(default_factory=frozenset)
    # Called with the record after a workflow transition, deletion or restoring.
    on_status_change: Callable[[Model], None] | None = None

    @property
    def label(self):
        return self.model._meta.verbose_name_plural

    @property
    def model_label(self) -> str:
        return self.model._meta.label_lower

    @property
    def has_workflow(self) -> bool:
        """A record with its own workflow status (not one hanging from another report)."""
        return not self.owner_path

    def owner(self, record: Model) -> Model:
        """The record that carries organisation and status (the record itself, or its parent)."""
        for step in filter(None, self.owner_path.split("__")):
            record = getattr(record, step)
        return record

    def permission(self, action: str) -> str:
        return f"{self.model._meta.app_label}.{action}_{self.model._meta.model_name}"


_by_model: dict[type[Model], RecordType] = {}
_by_slug: dict[str, RecordType] = {}


def register(entry: RecordType) -> RecordType:
    """Registering twice (a test runner reloading apps) replaces the entry."""
    _by_model[entry.model] = entry
    if entry.slug:
        _by_slug[entry.slug] = entry
    return entry


def get(model_or_record: type[Model] | Model) -> RecordType:
    model = model_or_record if isinstance(model_or_record, type) else type(model_or_record)
    # Deferred-field and proxy classes resolve to their concrete model.
    model = model._meta.concrete_model
    try:
        return _by_model[model]
    except KeyError:
        raise LookupError(f"{model._meta.label} is not a registered record type") from None


def by_slug(slug: str) -> RecordType:
    try:
        return _by_slug[slug]
    except KeyError:
        raise LookupError(f"no record type {slug!r}") from None


def entries() -> Iterator[RecordType]:
    """In registration order (apps' order in INSTALLED_APPS)."""
    return iter(list(_by_model.values()))


def with_workflow() -> list[RecordType]:
    return [entry for entry in entries() if entry.has_workflow and entry.slug]
