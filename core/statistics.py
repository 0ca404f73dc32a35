"""Grouped counts and sums of reported records, for the national reports (Landmine Monitor,
APMBC Article 7, EORE and victim assistance figures).

Each record type's statistics name their groups and measures (`incidents.selectors`,
`hazards.selectors`...); what they share is here: only approved records count unless the
authority asks for submitted ones too (DOMAIN.md, Workflow), a deleted or merged record never
counts, and an administrative area is grouped by its P-code, at the level asked, so that every
boundary version of an area counts under one code. One SQL query per request.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, CharField, F, Func, QuerySet, Value, When

from core.db import DATABASE_UNAVAILABLE
from core.models import RecordStatus

# The levels below the country (reference.models.AdministrativeArea.Level; in Mali région, cercle, commune).
ADMIN_AREA_LEVELS = (1, 2, 3)
# A record is placed at most three levels below the country: its area and two ancestors suffice.
_ANCESTORS = 2


class AreaGroup:
    """The record's administrative area, by P-code: its own area, or its ancestor at the level the
    request asks (`admin_area_level`)."""

    def __init__(self, region_path: str) -> None:
        self.region_path = region_path

    def expression(self, level: int | None):
        return area_pcode(self.region_path, level)


def area_pcode(region_path: str, level: int | None = None):
    """The P-code of the area at `region_path`, or of its ancestor at `level`; NULL when the record
    lies in an area above that level (placed in a région, grouped by cercle).

    The ancestor is found through the parent links of the boundary version the record was placed
    in, and counted by P-code: a record placed in a cercle's old boundary counts under the same
    cercle, and région, as one placed in its current boundary.
    """
    if level is None:
        return F(f"{region_path}__pcode")
    paths = [region_path]
    for _ in range(_ANCESTORS):
        paths.append(f"{paths[-1]}__parent")
    return Case(
        *[When(**{f"{path}__level": level}, then=F(f"{path}__pcode")) for path in paths],
        default=Value(None, output_field=CharField()),
        output_field=CharField(),
    )


def date_groups(entry) -> dict:
    """`year` and `month` of a record type's main date (core.registry: `date_field`, and
    `date_precision_field` when the date may be known to the month or year only)."""
    from django.db.models.functions import ExtractYear

    from core.dates import month_expression

    groups = {"year": ExtractYear(entry.date_field)}
    if entry.date_precision_field:
        groups["month"] = month_expression(entry.date_field, entry.date_precision_field)
    else:
        groups["month"] = Func(F(entry.date_field), Value("YYYY-MM"), function="to_char", output_field=CharField())
    return groups


def counted_statuses(include_submitted: bool) -> list[str]:
    return [RecordStatus.APPROVED, RecordStatus.SUBMITTED] if include_submitted else [RecordStatus.APPROVED]


def grouped_statistics(
    queryset: QuerySet,
    *,
    groups: Mapping[str, Any],
    group_by: Sequence[str],
    measures: Mapping[str, Any],
    include_submitted: bool,
    admin_area_level: int | None = None,
    via: str = "",
) -> list[dict]:
    """Rows of `measures` (aggregates) per combination of `group_by`, ordered by the groups.

    `groups` maps a name to an expression, to an `AreaGroup`, or to None for a field of the
    record grouped as it is; `via` is the path to the record carrying status (casualties:
    "incident__"). Names are given back as asked, whatever the annotations are called in SQL.
    """
    queryset = queryset.filter(
        **{f"{via}status__in": counted_statuses(include_submitted), f"{via}deleted_at__isnull": True}
    )
    # Annotations may not share a name with a field of the model (incidents have an `admin_area`):
    # each one gets a prefix in SQL and its own name back in the rows.
    columns: dict[str, str] = {}
    annotations = {}
    for name in group_by:
        group = groups[name]
        if group is None:
            columns[name] = name
            continue
        columns[name] = f"group_{name}"
        annotations[columns[name]] = group.expression(admin_area_level) if isinstance(group, AreaGroup) else group
    sums = {f"measure_{name}": aggregate for name, aggregate in measures.items()}
    rows = queryset.annotate(**annotations).values(*columns.values()).annotate(**sums).order_by(*columns.values())
    return [
        {
            **{name: row[column] for name, column in columns.items()},
            **{name: plain_measure(row[f"measure_{name}"]) for name in measures},
        }
        for row in rows
    ]


def plain_measure(value):
    # Areas are summed in floating point: centimetres of m² are noise in a report.
    return round(value, 1) if isinstance(value, float) else value


def measure_totals(results: Sequence[Mapping[str, Any]], measures: Sequence[str]) -> dict[str, Any]:
    """The measures summed over every row: the figures of the whole selection."""
    return {name: plain_measure(sum(row[name] or 0 for row in results)) for name in measures}


# --- Summary tables ---------------------------------------------------------------------------

# model -> reader(view, filterset, *, group_by, include_submitted, admin_area_level, measures=None),
# giving (rows, freshness) or None when the summary cannot answer (reports.summaries).
_summary_readers: dict[type, Callable] = {}


def register_summary_reader(model: type, reader: Callable) -> None:
    _summary_readers[model] = reader


def summary_reader(model: type) -> Callable | None:
    return _summary_readers.get(model)


# --- Generation of the figures ---------------------------------------------------------------

GENERATION_KEY = "statistics:generation"
logger = logging.getLogger(__name__)


def statistics_generation() -> int:
    """A number that changes whenever a write through the services may change a figure: what a
    cache of figures (the dashboard's) puts in its keys, so that an approval shows at once."""
    try:
        return cache.get_or_set(GENERATION_KEY, 1, timeout=None)
    except Exception:
        logger.warning("The cache cannot be read: figures are computed afresh.", exc_info=True)
        return 0


def statistics_changed(model: type | None = None) -> None:
    """Called by the services after a write of a `model` record (None: of any kind): once the
    transaction commits, the figures' generation moves on and the listeners (the summary tables
    of `reports`) hear which kinds of records changed. Each kind is announced once a transaction,
    however many records of it were written."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _announce({model})
        return
    pending = getattr(connection, "_statistics_pending", None)
    # A new announcement unless this transaction's is still waiting (a rolled-back transaction
    # dropped its callback; a committed one ran it).
    if pending is None or pending.ran or not any(entry[1] is pending for entry in connection.run_on_commit):
        pending = _Announcement()
        connection._statistics_pending = pending
        transaction.on_commit(pending)
    pending.models.add(model)


class _Announcement:
    def __init__(self) -> None:
        self.models: set = set()
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        _announce(self.models)


def on_statistics_change(listener: Callable[[set], None]) -> None:
    """`listener(models)` is called after each commit that wrote records of `models` (a set of
    model classes; None among them: of any kind). An app that keeps figures of its own (the
    summary tables of `reports`) registers here, so that `core` need not know it."""
    if listener not in _listeners:
        _listeners.append(listener)


_listeners: list[Callable[[set], None]] = []


def _announce(models: set) -> None:
    _next_generation()
    for listener in _listeners:
        try:
            listener(set(models))
        except Exception as exc:
            # Figures may be late, never a committed write refused: the schedule catches up. A lost
            # database needs no traceback.
            logger.warning(
                "A listener of the figures failed: the schedule catches up.",
                exc_info=not isinstance(exc, DATABASE_UNAVAILABLE),
            )


def _next_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)
    except Exception:
        logger.warning("The cache cannot be written: cached figures wait for their expiry.", exc_info=True)
