"""A page of a list, or one record, represented from `.values()` rows rather than model instances:
the same fields, written by the serializer's own fields, geometries by PostGIS (`AsGeoJSON`), and
nested lists (an incident's casualties) as one JSON array a record built by PostgreSQL.

Building a model instance, then walking DRF's serializer over it, cost about a millisecond a record
with its nested rows, and a région's polygon was loaded to print its P-code; this costs a tenth of
that. A serializer with a field this cannot read (a method field, a nested object) is served by DRF
as before (`plan_for` answers None). `tests/api/test_list_reading.py` holds every record type's
lists and details equal to what its serializer writes from the model instance."""

import json
from dataclasses import dataclass

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.utils.encoding import is_protected_type
from rest_framework import ISO_8601, relations, serializers
from rest_framework.settings import api_settings
from rest_framework_gis.fields import GeometryField as GeometryRepresentation

from accounts.selectors import user_organisation
from core.selectors import is_authority

# Digits PostGIS writes: as many as a double carries (GEOS's own GeoJSON writes 15 significant).
GEOJSON_DIGITS = 15
GEOMETRY = "_geojson_{}"
AS_READ = frozenset({serializers.CharField, serializers.ChoiceField, serializers.IntegerField,
                     serializers.BooleanField, serializers.FloatField})  # fmt: skip


@dataclass(frozen=True)
class Column:
    name: str
    lookup: str
    convert: object = None  # the serializer field's to_representation; None for a text already right
    geometry: bool = False
    # PostgreSQL's JSON of the column is what the serializer writes (a text, a number, an ISO date...).
    as_json: bool = False


@dataclass(frozen=True)
class Plan:
    model: type[models.Model]
    columns: tuple[Column, ...]
    nested: tuple["Nested", ...] = ()
    personal: tuple[str, ...] = ()
    # Where the organisation that wrote the record is (its own, or its parent's: a casualty's incident).
    reporter: str = "organisation_id"


@dataclass(frozen=True)
class Nested:
    name: str
    plan: Plan
    parent_lookup: str  # the child's foreign key to the record, e.g. "incident_id"

    @property
    def as_json(self) -> bool:
        """Every column written by PostgreSQL as the serializer would: the rows come as JSON."""
        return all(c.as_json and "__" not in c.lookup for c in self.plan.columns)


def _concrete(model, path: str) -> models.Field | None:
    try:
        found = model._meta.get_field(path)
    except FieldDoesNotExist:
        return None
    return found if getattr(found, "concrete", False) else None


def _column(model, name: str, drf_field) -> Column | None:
    source = drf_field.source
    if source == "*" or "." in source:
        return None
    if isinstance(drf_field, relations.ManyRelatedField):
        return None
    model_field = _concrete(model, source)
    if model_field is None:
        return None
    if isinstance(drf_field, relations.SlugRelatedField):
        return Column(name, f"{source}__{drf_field.slug_field}")
    if isinstance(drf_field, relations.PrimaryKeyRelatedField):
        return None if drf_field.pk_field is not None else Column(name, model_field.attname, as_json=True)
    if isinstance(drf_field, relations.RelatedField) or model_field.is_relation:
        return None
    if isinstance(drf_field, GeometryRepresentation):
        return Column(name, GEOMETRY.format(source), geometry=True)
    if isinstance(drf_field, serializers.SerializerMethodField | serializers.BaseSerializer):
        return None
    if isinstance(drf_field, serializers.ModelField):
        # Reads the instance itself; a value of the row is written as that field would.
        return Column(name, source, convert=_protected_or_text)
    # A text, a number or a truth value from the database is already what these fields would write.
    convert = None if type(drf_field) in AS_READ else drf_field.to_representation
    return Column(name, source, convert=convert, as_json=_as_json(drf_field))


def _as_json(drf_field) -> bool:
    if type(drf_field) in AS_READ:
        return True
    if type(drf_field) is serializers.DateField:
        return getattr(drf_field, "format", api_settings.DATE_FORMAT) == ISO_8601
    return type(drf_field) is serializers.ListField and type(drf_field.child) in AS_READ


def _protected_or_text(value):
    return value if is_protected_type(value) else str(value)


def _plan(serializer) -> Plan | None:
    model = serializer.Meta.model
    columns, nested = [], []
    for name, drf_field in serializer.fields.items():
        if drf_field.write_only:
            continue
        if isinstance(drf_field, serializers.ListSerializer):
            inner = _nested(model, name, drf_field)
            if inner is None:
                return None
            nested.append(inner)
            columns.append(Column(name, ""))
            continue
        column = _column(model, name, drf_field)
        if column is None:
            return None
        columns.append(column)
    personal, reporter = (), "organisation_id"
    if isinstance(serializer, _record_serializer()):
        from core import registry

        entry = registry.get(model)
        personal = tuple(n for n in entry.personal_fields if n in serializer.fields)
        reporter = f"{entry.owner_path}organisation_id"
    return Plan(model, tuple(columns), tuple(nested), personal, reporter)


def _nested(model, name: str, list_serializer) -> Nested | None:
    relation = _reverse(model, list_serializer.source)
    child = list_serializer.child
    if relation is None or not isinstance(child, serializers.ModelSerializer):
        return None
    plan = _plan(child)
    if plan is None or plan.nested or plan.model is not relation.related_model:
        return None
    return Nested(name, plan, relation.field.attname)


def _reverse(model, accessor: str):
    for relation in model._meta.related_objects:
        if relation.get_accessor_name() == accessor and relation.one_to_many:
            return relation
    return None


def _record_serializer():
    from core.api.serializers import RecordSerializer

    return RecordSerializer


_plans: dict = {}


def plan_for(serializer) -> Plan | None:
    """How to read the serializer's list from values, once per serializer class; None: by DRF."""
    key = type(serializer)
    if key not in _plans:
        _plans[key] = _plan(serializer)
    return _plans[key]


def rows(plan: Plan, queryset, *, keep: tuple[str, ...] = ()):
    """The values the plan reads (and `keep`, for paging), in the queryset's order."""
    geometries = {
        c.lookup: AsGeoJSON(c.lookup.removeprefix(GEOMETRY.format("")), precision=GEOJSON_DIGITS)
        for c in plan.columns
        if c.geometry
    }
    lookups = [c.lookup for c in plan.columns if c.lookup]
    extra = [name for name in ("id", *keep) if name not in lookups and _concrete(plan.model, name)]
    if plan.personal:
        extra.append(plan.reporter)
    return queryset.prefetch_related(None).annotate(**geometries).values(*lookups, *extra)


def represent(plan: Plan, page: list[dict], *, user) -> list[dict]:
    """The page's rows as the serializer would write them, nested lists read in one query each."""
    children = {n.name: _children(n, [row["id"] for row in page]) for n in plan.nested}
    blank = plan.personal and not is_authority(user)
    organisation = user_organisation(user) if blank else None
    own = organisation.pk if organisation is not None else None
    answer = []
    for row in page:
        record = _record(plan, row, children)
        if blank and row[plan.reporter] != own:
            for name in plan.personal:
                record[name] = ""
        answer.append(record)
    return answer


def _record(plan: Plan, row: dict, children: dict) -> dict:
    record = {}
    for column in plan.columns:
        if not column.lookup:
            record[column.name] = children[column.name].get(row["id"], [])
            continue
        value = row[column.lookup]
        if value is None:
            record[column.name] = None
        elif column.geometry:
            record[column.name] = json.loads(value)
        elif column.convert is not None:
            record[column.name] = column.convert(value)
        else:
            record[column.name] = value
    return record


def _children(nested: Nested, ids: list[int]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    if not ids:
        return grouped
    queryset = nested.plan.model._default_manager.filter(**{f"{nested.parent_lookup}__in": ids}).order_by("id")
    if nested.as_json:
        return _children_as_json(nested, queryset)
    for row in rows(nested.plan, queryset, keep=(nested.parent_lookup,)):
        grouped.setdefault(row[nested.parent_lookup], []).append(_record(nested.plan, row, {}))
    return grouped


def _children_as_json(nested: Nested, queryset) -> dict[int, list[dict]]:
    """Each record's rows as one JSON array written by PostgreSQL, in the order of their ids: no
    row becomes a Python object before the answer's own."""
    quote = connection.ops.quote_name
    model = nested.plan.model
    pairs = ", ".join(f"'{c.name}', c.{quote(model._meta.get_field(c.lookup).column)}" for c in nested.plan.columns)
    parent = quote(model._meta.get_field(nested.parent_lookup).column)
    chosen, params = queryset.order_by().values("pk").query.sql_with_params()
    sql = (
        f"SELECT c.{parent}, json_agg(json_build_object({pairs}) ORDER BY c.id)::text "  # noqa: S608  # nosec B608 # table and column names come from the models and the API's own field plan; the ids are Django's query, its values parameters
        f"FROM {quote(model._meta.db_table)} c WHERE c.id IN ({chosen}) GROUP BY c.{parent}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {parent_id: json.loads(items) for parent_id, items in cursor.fetchall()}
