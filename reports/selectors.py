"""Reads of exports: which records an export holds (the API list's own rows for its owner), with
which columns, and the owner's exports."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from core import registry
from core.exceptions import ApplicationError
from core.selectors import records_visible
from reports.models import Export

# A related record is named by its readable code rather than its id.
READABLE_KEYS = ("pcode", "reference", "acronym", "code")
CHUNK_SIZE = 2000
GEOMETRY = "geometry"


def _list_viewsets() -> dict:
    """The API's list viewsets by resource name, as the router registers them."""
    from mineaction.api_urls import router

    return {prefix: viewset for prefix, viewset, _basename in router.registry}


def exportable_resources() -> list[str]:
    """Record types with an API list and export columns."""
    viewsets = _list_viewsets()
    return [
        entry.slug for entry in registry.entries()
        if entry.slug in viewsets and entry.export_fields and getattr(viewsets[entry.slug], "filterset_class", None)
    ]  # fmt: skip


def export_entry(resource: str) -> registry.RecordType:
    if resource not in exportable_resources():
        raise ApplicationError(_("The export is not valid."), errors={"resource": [_("No such list to export.")]})
    return registry.by_slug(resource)


def _query_dict(filters: Mapping) -> QueryDict:
    """The list's query parameters as the API would receive them; a value is a string, a number
    or a list of them (a repeated parameter)."""
    query = QueryDict(mutable=True)
    problems: dict[str, list[str]] = {}
    for name, value in filters.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
            problems[f"filters.{name}"] = [_("Give a text, a number or a list of them.")]
            continue
        query.setlist(name, [str(v) for v in values])
    if problems:
        raise ApplicationError(_("The filters are not valid."), errors=problems)
    return query


def export_records(*, user, resource: str, filters: Mapping) -> QuerySet:
    """The records the API list `/api/v1/<resource>/?<filters>` shows this user, by id.

    Same base queryset (deleted and merged records left out), same scoping
    (core.selectors.records_visible), same filter set. Invalid or unknown filters raise
    ApplicationError with one message per parameter."""
    entry = export_entry(resource)
    viewset = _list_viewsets()[resource]
    if not isinstance(filters, Mapping):
        raise ApplicationError(_("The filters are not valid."), errors={"filters": [_("Give an object.")]})
    filterset_class = viewset.filterset_class
    query = _query_dict(filters)
    known = ", ".join(sorted(filterset_class.base_filters))
    message = _("Not a filter of this list; its filters are: %(names)s.") % {"names": known}
    errors = {f"filters.{name}": [message] for name in sorted(set(query) - set(filterset_class.base_filters))}
    queryset = records_visible(viewset.queryset.all(), user, entry=entry)
    filterset = filterset_class(data=query, queryset=queryset)
    if not filterset.is_valid():
        errors |= {f"filters.{name}": [str(m) for m in messages] for name, messages in filterset.errors.items()}
    if errors:
        raise ApplicationError(_("The filters are not valid."), errors=errors)
    # Rows are read as tuples: related records need no joins fetched as objects.
    return filterset.qs.select_related(None).prefetch_related(None).order_by("id")


@dataclass(frozen=True)
class Columns:
    names: list[str]
    paths: list[str]
    geometry: bool


def export_columns(entry: registry.RecordType, *, geometry: bool) -> Columns:
    """id, workflow status, organisation and the registry's export fields; never personal ones."""
    model = entry.model
    names = ["id", "status", "organisation"]
    paths = ["id", f"{entry.owner_path}status", f"{entry.owner_path}organisation__acronym"]
    for name in entry.export_fields:
        if name in entry.personal_fields:
            continue
        field = model._meta.get_field(name)
        path = name
        if field.is_relation and field.many_to_one:
            related = {f.name for f in field.related_model._meta.get_fields()}
            key = next((k for k in READABLE_KEYS if k in related), None)
            path = f"{name}__{key}" if key else f"{name}_id"
        names.append(name)
        paths.append(path)
    with_geometry = geometry and entry.geometry_field is not None
    return Columns(names=names, paths=paths, geometry=with_geometry)


def export_rows(queryset: QuerySet, columns: Columns) -> Iterator[tuple]:
    """Tuples in id order from a server-side cursor: memory stays bounded by the chunk size.
    With geometry, the last value is its GeoJSON text, made by PostGIS."""
    paths = list(columns.paths)
    if columns.geometry:
        field = registry.get(queryset.model).geometry_field
        queryset = queryset.annotate(**{f"_export_{GEOMETRY}": AsGeoJSON(field, precision=7)})
        paths.append(f"_export_{GEOMETRY}")
    return queryset.values_list(*paths).iterator(chunk_size=CHUNK_SIZE)


def _field(model, path: str):
    """The model field at the end of a `values()` path ("organisation__acronym", "incident_id")."""
    *relations, last = path.split("__")
    for name in relations:
        model = model._meta.get_field(name).related_model
    field = model._meta.get_field(last)
    return field.target_field if field.is_relation and last.endswith("_id") else field


# A text that a spreadsheet would run as a formula (reports.exports.FORMULA_STARTS).
FORMULA_PATTERN = "^[-=+@\t\r]"


def _copy_expression(field, column: str) -> str:
    """The value as the CSV writer prints it (reports.exports.plain, neutralise): texts that start
    like a formula with an apostrophe, lists joined by "; ", booleans as True or False."""
    kind = field.get_internal_type()
    if kind in ("CharField", "TextField", "ChoiceArrayField", "ArrayField"):
        text = f"array_to_string({column}, '; ')" if hasattr(field, "base_field") else column
        return f"CASE WHEN {text} ~ %s THEN chr(39) || {text} ELSE {text} END"
    if kind == "BooleanField":
        return f"CASE WHEN {column} THEN 'True' WHEN NOT {column} THEN 'False' END"
    if kind == "DecimalField":
        return f"{column}::float8"
    return column


def export_copy_sql(queryset: QuerySet, columns: Columns) -> tuple[str, tuple]:
    """`COPY … TO STDOUT` of the rows `export_rows` gives (without geometry), as the CSV writer
    writes them: PostgreSQL formats the file, so a long list costs little more than the query."""
    from django.db import connection

    sql, params = queryset.values_list(*columns.paths).query.sql_with_params()
    names = [f"c{index}" for index in range(len(columns.paths))]
    values, value_params = [], []
    for path, name in zip(columns.paths, names, strict=True):
        expression = _copy_expression(_field(queryset.model, path), name)
        values.append(expression)
        value_params += [FORMULA_PATTERN] * expression.count("%s")
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    # The inner query is Django's, its values passed as parameters; the rest names columns.
    select = f"SELECT {', '.join(values)} FROM ({sql}) AS export_rows ({quoted})"  # noqa: S608  # nosec B608 # column names come from the export's own field list; the inner query is Django's compiled queryset, its values parameters
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", (*value_params, *params)


def export_get(*, user, pk) -> Export | None:
    """The user's own export; another user's is not found."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Export.objects.filter(owner=user, pk=pk).first()


def exports_of(user) -> QuerySet:
    """The user's own exports, newest first: nobody sees another's (as `export_get`)."""
    return Export.objects.filter(owner=user).order_by("-created_at", "-id")
