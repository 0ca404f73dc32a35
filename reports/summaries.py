"""Summary tables: approved records counted by month, area (P-code at every level) and category,
rebuilt from the base tables by a worker, so that statistics, the dashboard and the open data read
thousands of rows rather than millions (DOMAIN.md, Workflow: only approved data updates the
national picture).

Each summary is built from a statistics view of the API (`core.api.statistics.StatisticsView`):
its records, its group expressions and its measures, grouped by every group at once. A request
whose groups, filters and scope the table can answer is answered from it (`SummaryReader`), with
the same figures as the base tables as of the last refresh; any other request (a bounding box, an
organisation, submitted records, an authority's région limits at a level the table does not hold)
is answered from the base tables as before.

A refresh rebuilds a table in one transaction (readers see the old rows until it commits), under an
advisory lock: two refreshes at once run one after the other, and one asked before the last
refresh began is skipped, so a burst of approvals costs one or two refreshes.
"""

import datetime
import logging
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Count, DateField, F, Func, Q, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from accounts.selectors import is_authority
from assistance.api.statistics import AssistanceStatisticsView
from assistance.models import AssistanceService, Survivor
from core import outbox, registry
from core.api.statistics import StatisticsView
from core.dates import PeriodEnd
from core.models import RecordStatus
from core.statistics import ADMIN_AREA_LEVELS, AreaGroup, area_pcode, plain_measure
from education.api.statistics import RiskEducationStatisticsView
from education.models import RiskEducationSession
from hazards.api.statistics import HazardAreaStatisticsView, LandReleaseStatisticsView
from hazards.models import HazardArea, ItemFound, LandReleaseActivity
from incidents.api.statistics import CasualtyStatisticsView, IncidentStatisticsView
from incidents.models import Casualty, Incident
from reference.models import AdministrativeArea
from reports import models as tables

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock(class, id): the class keeps these locks apart from any other use.
LOCK_CLASS = 7_100


class MonthEnd(Func):
    """The last day of the month a date lies in."""

    template = "(date_trunc('month', (%(expressions)s)::timestamp) + interval '1 month' - interval '1 day')::date"
    output_field = DateField()


@dataclass(frozen=True)
class Summary:
    """A summary table and the statistics view it is built from (its records, groups, measures)."""

    name: str
    table: type[models.Model]
    view: type[StatisticsView]
    # Writes of these models change the table (core.statistics.statistics_changed).
    depends_on: tuple[type, ...]
    # The view's filters the table answers, by column: multiple choices of that column.
    filters: Mapping[str, str] = field(default_factory=dict)
    # Groups besides the view's (items: their category), and how measures are built and read
    # when not as the view measures (a sum of the column of the same name).
    extra_groups: Mapping = field(default_factory=dict)
    measures: Mapping | None = None
    read_measures: Mapping = field(default_factory=dict)
    # Rows of the view's records that join into the table (items: activities with items).
    where: Q | None = None
    # The records whose figures the table answers, when not the view's own (items: the
    # dashboard's items found, by the land release view's filters).
    counts: type | None = None

    @property
    def answers_view(self) -> bool:
        return self.counts is None

    @property
    def lock_id(self) -> int:
        return zlib.crc32(self.name.encode()) & 0x7FFFFFFF

    def categories(self) -> dict:
        """The groups other than period and area, with their expressions in the view's records."""
        groups = {
            name: (F(name) if group is None else group)
            for name, group in self.view.groups.items()
            if name not in ("year", "month", "admin_area")
        }
        return {**groups, **self.extra_groups}

    def build_measures(self) -> Mapping:
        return self.view.measures if self.measures is None else self.measures

    def reading(self, name: str):
        return self.read_measures.get(name) or Sum(name)


SUMMARIES: dict[str, Summary] = {
    summary.name: summary
    for summary in (
        Summary(
            "casualties",
            tables.CasualtySummary,
            CasualtyStatisticsView,
            depends_on=(Incident, Casualty),
            filters={name: name for name in ("outcome", "sex", "civilian_status", "age_group")}
            | {"category": "device_category"},
        ),
        Summary(
            "incidents",
            tables.IncidentSummary,
            IncidentStatisticsView,
            depends_on=(Incident,),
            filters={"category": "device_category", "incident_class": "incident_class"},
        ),
        Summary(
            "hazard_areas",
            tables.HazardAreaSummary,
            HazardAreaStatisticsView,
            # Approving a land release activity changes its area's remaining area and status.
            depends_on=(HazardArea, LandReleaseActivity),
            filters={"category": "land_class", "hazard_status": "hazard_status"},
        ),
        Summary(
            "land_release",
            tables.LandReleaseSummary,
            LandReleaseStatisticsView,
            depends_on=(LandReleaseActivity,),
            filters={"category": "kind"},
        ),
        Summary(
            "items",
            tables.ItemSummary,
            LandReleaseStatisticsView,
            depends_on=(LandReleaseActivity, ItemFound),
            filters={"category": "kind"},
            extra_groups={"category": F("items_found__category")},
            measures={
                "count": Count("items_found__id"),
                "found": Sum("items_found__quantity"),
                "destroyed": Sum("items_found__quantity", filter=Q(items_found__destroyed=True)),
            },
            where=Q(items_found__isnull=False),
            counts=ItemFound,
        ),
        Summary(
            "risk_education",
            tables.RiskEducationSummary,
            RiskEducationStatisticsView,
            depends_on=(RiskEducationSession,),
            filters={"category": "method", "target_group": "target_group"},
        ),
        Summary(
            "assistance",
            tables.AssistanceSummary,
            AssistanceStatisticsView,
            # The survivor's incident places the service (its area).
            depends_on=(AssistanceService, Survivor, Incident),
            filters={"category": "service_type", "outcome": "outcome"},
            # Survivors are counted distinct: the table keeps them as a group.
            extra_groups={"survivor": F("survivor_id")},
            measures={"count": Count("id")},
            read_measures={"survivors": Count("survivor", distinct=True)},
        ),
    )
}


def summaries_of(changed: Iterable) -> list[str]:
    """The summaries that writes of these models change (None among them: every summary)."""
    changed = set(changed)
    if None in changed:
        return list(SUMMARIES)
    return [name for name, summary in SUMMARIES.items() if changed.intersection(summary.depends_on)]


# --- Building ---------------------------------------------------------------------------------


def _source_sql(summary: Summary) -> tuple[list[str], str, tuple]:
    """The columns of the table and the SELECT that computes its rows from the base tables."""
    view = summary.view
    entry = registry.get(view.model)
    via = entry.owner_path
    records = view.model.objects.filter(**{f"{via}status": RecordStatus.APPROVED, f"{via}deleted_at__isnull": True})
    if summary.where is not None:
        records = records.filter(summary.where)
    area: AreaGroup = view.groups["admin_area"]
    if entry.date_precision_field:
        period_end = PeriodEnd(entry.date_field, entry.date_precision_field)
    else:
        period_end = F(entry.date_field)
    groups = {
        "year": view.groups["year"],
        "month": view.groups["month"],
        "date_from": Trunc(entry.date_field, "month", output_field=DateField()),
        "date_to": MonthEnd(period_end),
        "area": area_pcode(area.region_path),
        **{f"area_{level}": area_pcode(area.region_path, level) for level in ADMIN_AREA_LEVELS},
        **summary.categories(),
    }
    measures = summary.build_measures()
    # Aliases apart from the model's own field names (an incident has an `admin_area`).
    rows = records.annotate(**{f"s_{name}": value for name, value in groups.items()})
    rows = rows.values(*[f"s_{name}" for name in groups]).annotate(
        **{f"m_{name}": value for name, value in measures.items()}
    )
    rows = rows.order_by()
    sql, params = rows.query.sql_with_params()
    columns = [*groups, *measures]
    aliases = [*(f"s_{name}" for name in groups), *(f"m_{name}" for name in measures)]
    select = ", ".join(connection.ops.quote_name(alias) for alias in aliases)
    # The inner SELECT is Django's compiled query, its values passed as parameters.
    return columns, f"SELECT {select} FROM ({sql}) AS source", params  # noqa: S608  # nosec B608 # column expressions are our own; the inner query is Django's compiled queryset, its values parameters


def refresh(name: str, *, requested_at: datetime.datetime | None = None) -> tables.SummaryState | None:
    """Rebuilds the summary `name` from the base tables; idempotent. A refresh asked at
    `requested_at` is skipped (None) when one that began later has already committed."""
    summary = SUMMARIES[name]
    table = summary.table._meta.db_table
    columns, select, params = _source_sql(summary)
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, summary.lock_id])
            state, _created = tables.SummaryState.objects.get_or_create(name=name)
            if requested_at is not None and state.refreshed_at is not None and state.refreshed_at >= requested_at:
                return None
            started = time.monotonic()
            # Taken before the statement that reads the base tables: every write committed before
            # this moment is in the rows (READ COMMITTED: the INSERT's snapshot is newer).
            cursor.execute("SELECT clock_timestamp()")
            as_of = cursor.fetchone()[0]
            # Table and column names come from the models, never from input.
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608  # nosec B608 # the summary table's name comes from its model, never from input
            cursor.execute(f"INSERT INTO {table} ({quoted}) {select}", params)
            state.rows = max(cursor.rowcount, 0)
        state.refreshed_at = as_of
        state.duration_ms = round((time.monotonic() - started) * 1000)
        state.save(update_fields=["refreshed_at", "rows", "duration_ms"])
        # Cached figures (the dashboard's) are computed anew from the new rows.
        from core.statistics import statistics_changed

        statistics_changed(tables.SummaryState)
    return state


def refresh_due(*, everything: bool = False) -> list[str]:
    """Refreshes the summaries written since their last refresh (or never built), or all of them;
    the names refreshed. What the schedule runs: it catches up any change whose refresh was lost."""
    states = {state.name: state for state in tables.SummaryState.objects.all()}
    due = [name for name in SUMMARIES if everything or name not in states or not states[name].up_to_date]
    for name in due:
        refresh(name)
    return due


def summaries_changed(changed: set) -> None:
    """After a commit that wrote records (core.statistics.on_statistics_change): the summaries
    concerned are marked changed in PostgreSQL and their refresh queued through the outbox, in one
    transaction. When the broker is unreachable the refresh waits in the outbox, and the
    schedule's catch-up (`refresh_due`) refreshes them too."""
    changed.discard(tables.SummaryState)
    names = summaries_of(changed) if changed else []
    if not names:
        return
    now = timezone.now()
    from reports.tasks import summaries_refresh

    with transaction.atomic():
        tables.SummaryState.objects.filter(name__in=names).update(changed_at=now)
        outbox.enqueue(summaries_refresh, kwargs={"names": names, "requested_at": now.isoformat()})


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    computed_from: str
    as_of: datetime.datetime
    up_to_date: bool


class SummaryReader:
    """Answers a statistics view's request from its summary table, or says it cannot (None)."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary

    def __call__(self, view, filterset, *, group_by, include_submitted, admin_area_level, measures=None):
        summary = self.summary
        if include_submitted or measures:
            return None
        state = _states(view.request).get(summary.name)
        if state is None or state.refreshed_at is None:
            return None
        condition = self._condition(filterset, view.request.user)
        if condition is None:
            return None
        columns = {name: self._column(name, admin_area_level) for name in group_by}
        if None in columns.values():
            return None
        names = list(view.measures) if summary.answers_view else list(summary.build_measures())
        readings = {f"r_{name}": summary.reading(name) for name in names}
        rows = (
            summary.table.objects.filter(condition)
            .values(*columns.values())
            .annotate(**readings)
            .order_by(*columns.values())
        )
        results = [
            {
                **{name: row[column] for name, column in columns.items()},
                **{name: _number(row[f"r_{name}"]) for name in names},
            }
            for row in rows
        ]
        return results, Freshness("summary", state.refreshed_at, state.up_to_date)

    def _column(self, name: str, level: int | None) -> str | None:
        if name == "admin_area":
            return "area" if level is None else f"area_{level}"
        if name in ("year", "month") or name in self.summary.categories():
            return name
        return None

    def _condition(self, filterset, user) -> Q | None:
        """The filters and the user's scope as a condition on the table; None when the table
        cannot express them."""
        condition = Q()
        for name, raw in filterset.data.items():
            if raw in ("", None) or (isinstance(raw, list) and not raw):
                continue
            value = filterset.form.cleaned_data.get(name)
            if name == "date_after":
                if value.day != 1:
                    return None
                condition &= Q(date_to__gte=value)
            elif name == "date_before":
                if (value + datetime.timedelta(days=1)).day != 1:
                    return None
                condition &= Q(date_from__lte=value)
            elif name == "admin_area":
                condition &= _in_areas([value])
            elif name in self.summary.filters:
                if value:
                    condition &= Q(**{f"{self.summary.filters[name]}__in": list(value)})
            else:
                return None
        if is_authority(user):
            profile = getattr(user, "profile", None)
            if profile is not None and not user.is_superuser:
                regions = list(profile.regions.values_list("pcode", flat=True))
                if regions:
                    condition &= _in_areas(regions)
        return condition


def _states(request) -> dict[str, tables.SummaryState]:
    """Every summary's state, read once a request (the dashboard asks several summaries)."""
    states = getattr(request, "_summary_states", None)
    if states is None:
        states = {state.name: state for state in tables.SummaryState.objects.all()}
        request._summary_states = states
    return states


def _in_areas(pcodes: list[str]) -> Q:
    """Rows of these areas and of every area below them (core.filters.admin_area_ids), by P-code."""
    levels = dict(AdministrativeArea.objects.filter(pcode__in=pcodes).values_list("pcode", "level"))
    condition = Q(pk__in=[])
    for pcode in pcodes:
        level = levels.get(pcode)
        if level == 0:
            # The country: every record placed in it.
            condition |= Q(area__isnull=False)
        elif level in ADMIN_AREA_LEVELS:
            condition |= Q(**{f"area_{level}": pcode})
        elif level is not None:
            condition |= Q(area=pcode)
    return condition


def _number(value):
    return plain_measure(value) if isinstance(value, float) else value


def register_readers() -> None:
    from core.statistics import on_statistics_change, register_summary_reader

    for summary in SUMMARIES.values():
        register_summary_reader(summary.counts or summary.view.model, SummaryReader(summary))
    on_statistics_change(summaries_changed)
