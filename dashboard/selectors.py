"""The dashboard's figures, each computed as `/api/v1/statistics/<records>/` computes it for the
same user and filters: the statistics view's records (scoped by `core.selectors`), its filter set,
groups and measures, approved records only (`core.statistics`). One SQL query per group of figures.

Two figures the API does not answer yet are computed here by the same machinery from the same
records: the remaining area by contamination type (the API's `remaining_area_m2` measure, summed
once per type an area holds) and the items found and destroyed (activities as the land release
statistics select them, their items counted by category).
"""

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, Sum
from django.http import HttpRequest, QueryDict
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.selectors import is_authority
from assistance.api.statistics import AssistanceStatisticsView
from assistance.models import AssistanceService
from core.api.statistics import StatisticsView
from core.selectors import records_visible
from core.statistics import grouped_statistics, measure_totals, statistics_generation, summary_reader
from education.api.statistics import RiskEducationStatisticsView
from hazards.api.statistics import HazardAreaStatisticsView, LandReleaseStatisticsView
from hazards.models import ContaminationType, ItemFound
from incidents.api.statistics import CasualtyStatisticsView
from incidents.models import Casualty, Sex
from reference.country import level_name
from reference.models import OrdnanceCategory

KM2 = 1_000_000


class InvalidFilters(ValueError):
    """A filter the statistics view's filter set refuses (the page's form checks them first)."""


def _filtered(view_class: type[StatisticsView], request: HttpRequest, filters: Mapping[str, str]):
    """The view, and its valid filter set over the records of this user, as its `get` has them."""
    view = view_class()
    view.request = request
    data = QueryDict(mutable=True)
    for name, value in filters.items():
        if name in view.filters:
            data[name] = value
    filterset = view.filterset_class(data=data, queryset=view.records(), request=request)
    if not filterset.is_valid():
        raise InvalidFilters(filterset.errors)
    return view, filterset


def api_statistics(
    view_class: type[StatisticsView],
    request: HttpRequest,
    filters: Mapping[str, str],
    group_by: list[str],
    *,
    admin_area_level: int | None = None,
    measures: Mapping | None = None,
) -> list[dict]:
    """The rows `GET /api/v1/statistics/...?group_by=<group_by>&<filters>` answers this user, by the
    view's own records, filter set and statistics; `measures` adds to the view's measures."""
    view, filterset = _filtered(view_class, request, filters)
    rows, freshness = view.answer(
        filterset,
        group_by=view.grouping(group_by),
        include_submitted=False,
        admin_area_level=admin_area_level,
        measures=measures,
    )
    if hasattr(request, "_figures_freshness"):
        request._figures_freshness.append(freshness)
    return rows


# --- Figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # "text", "int" (a count), "km2" (an area), "percent", or "code" (a machine-readable key, such as
    # a P-code, given in the CSV only).
    kind: str = "int"


@dataclass
class Figure:
    """A table (first column: what each row is) and how to draw it: `series` are the columns
    drawn, `stacked` when they add up, `horizontal` for long labels."""

    slug: str
    title: str
    note: str
    columns: list[Column]
    rows: list[dict]
    series: tuple[str, ...]
    stacked: bool = False
    horizontal: bool = False
    totals: dict = field(default_factory=dict)
    # The page shows this many rows, the latest; the CSV gives them all.
    latest: int | None = None
    # How fresh the figures are (core.api.statistics.StatisticsView.answer): the oldest time its
    # figures hold, and whether a summary it read was being refreshed.
    as_of: datetime.datetime | None = None
    up_to_date: bool = True


@dataclass(frozen=True)
class FigureGroup:
    """Figures computed from one query."""

    slugs: tuple[str, ...]
    compute: Callable[[HttpRequest, Mapping[str, str], Mapping[str, str]], list[Figure]]


def _km2(value) -> float:
    return round((value or 0) / KM2, 4)


# Hazardous areas: the API's measures, and its remaining area summed per contamination type.
_REMAINING = HazardAreaStatisticsView.measures["remaining_area_m2"]


def _remaining_where(condition: Q) -> Sum:
    return Sum(*_REMAINING.source_expressions, filter=condition)


CONTAMINATION_MEASURES = {
    **{f"remaining_{kind}": _remaining_where(Q(contamination_types__contains=[kind])) for kind in ContaminationType},
    "remaining_untyped": _remaining_where(Q(contamination_types=[])),
}


def contamination_figures(request, filters, regions) -> list[Figure]:
    rows = api_statistics(
        HazardAreaStatisticsView, request, filters, ["admin_area"], admin_area_level=1, measures=CONTAMINATION_MEASURES
    )
    totals = measure_totals(rows, ["count", "area_m2", "remaining_area_m2", *CONTAMINATION_MEASURES])
    kinds = [(f"remaining_{kind.value}", kind.label) for kind in ContaminationType]
    kinds.append(("remaining_untyped", _("Type not given")))
    # Only the types found somewhere: eight empty columns tell nothing.
    kinds = [(key, label) for key, label in kinds if totals[key]]
    by_region = sorted(
        (
            {
                "label": regions.get(row["admin_area"], row["admin_area"]) or _("Not placed in an area"),
                "pcode": row["admin_area"] or "",
                "count": row["count"],
                "remaining": _km2(row["remaining_area_m2"]),
                **{key: _km2(row[key]) for key, _label in kinds},
            }
            for row in rows
        ),
        key=lambda row: -row["remaining"],
    )
    by_type = [
        {"label": label, "contamination_type": key.removeprefix("remaining_"), "remaining": _km2(totals[key])}
        for key, label in kinds
    ]
    return [
        Figure(
            slug="contamination-by-region",
            title=_("Remaining contaminated area by %(level)s and contamination type (km²)")
            % {"level": level_name(1).lower()},
            note=_("Approved hazardous areas. An area holding several contamination types counts under each type."),
            columns=[
                Column("label", level_name(1), "text"),
                Column("pcode", _("P-code"), "code"),
                Column("count", _("Hazardous areas")),
                Column("remaining", _("Remaining (km²)"), "km2"),
                *[Column(key, label, "km2") for key, label in kinds],
            ],
            rows=by_region,
            series=("remaining",),
            horizontal=True,
            totals={"count": totals["count"], "remaining": _km2(totals["remaining_area_m2"])},
        ),
        Figure(
            slug="contamination-by-type",
            title=_("Remaining contaminated area by contamination type (km²)"),
            note=_("An area holding several contamination types counts under each type."),
            columns=[
                Column("label", _("Contamination type"), "text"),
                Column("contamination_type", _("Code"), "code"),
                Column("remaining", _("Remaining (km²)"), "km2"),
            ],
            rows=by_type,
            series=("remaining",),
            horizontal=True,
        ),
    ]


def land_release_figures(request, filters, regions) -> list[Figure]:
    rows = api_statistics(LandReleaseStatisticsView, request, filters, ["year"])
    table = [
        {
            "label": str(row["year"]),
            "cancelled": _km2(row["area_cancelled_m2"]),
            "reduced": _km2(row["area_reduced_m2"]),
            "cleared": _km2(row["area_cleared_m2"]),
            "released": _km2(
                (row["area_cancelled_m2"] or 0) + (row["area_reduced_m2"] or 0) + (row["area_cleared_m2"] or 0)
            ),
            "count": row["count"],
        }
        for row in rows
    ]
    return [
        Figure(
            slug="land-release",
            title=_("Land released per year (km²)"),
            note=_("Approved activities, by the year they started: cancelled by non-technical survey, reduced by "
                   "technical survey, cleared."),
            columns=[
                Column("label", _("Year"), "text"),
                Column("cancelled", _("Cancelled (km²)"), "km2"),
                Column("reduced", _("Reduced (km²)"), "km2"),
                Column("cleared", _("Cleared (km²)"), "km2"),
                Column("released", _("Released (km²)"), "km2"),
                Column("count", _("Activities")),
            ],
            rows=table,
            series=("cancelled", "reduced", "cleared"),
            stacked=True,
            totals={
                key: round(sum(row[key] for row in table), 4) for key in ("cancelled", "reduced", "cleared", "released")
            },
        )
    ]  # fmt: skip


# Items found: counted by category, over the activities the land release statistics select.
ITEM_GROUPS = {"category": None}
ITEM_MEASURES = {"found": Sum("quantity"), "destroyed": Sum("quantity", filter=Q(destroyed=True))}


def items_statistics(request, filters) -> list[dict]:
    """Items found and destroyed by category, in the activities `LandReleaseStatisticsView` counts
    for these filters (approved only, by the activity's start date, area and organisation)."""
    view, filterset = _filtered(LandReleaseStatisticsView, request, filters)
    reader = summary_reader(ItemFound)
    summary = reader(view, filterset, group_by=["category"], include_submitted=False, admin_area_level=None)
    if summary is not None:
        return summary[0]
    items = records_visible(ItemFound.objects.filter(activity__in=filterset.qs.values("pk")), request.user)
    return grouped_statistics(
        items, groups=ITEM_GROUPS, group_by=["category"], measures=ITEM_MEASURES, include_submitted=False,
        via="activity__",
    )  # fmt: skip


def items_figures(request, filters, regions) -> list[Figure]:
    counted = {row["category"]: row for row in items_statistics(request, filters)}
    table = [
        {"label": category.label, "category": category.value, "found": counted[category]["found"] or 0,
         "destroyed": counted[category]["destroyed"] or 0}
        for category in OrdnanceCategory
        if category in counted
    ]  # fmt: skip
    return [
        Figure(
            slug="items-destroyed",
            title=_("Explosive ordnance destroyed by category"),
            note=_("Items found in approved activities. Improvised anti-personnel mines are counted apart from "
                   "other IEDs (APMBC Art. 2)."),
            columns=[
                Column("label", _("Category"), "text"),
                Column("category", _("Code"), "code"),
                Column("destroyed", _("Destroyed")),
                Column("found", _("Found")),
            ],
            rows=sorted(table, key=lambda row: -row["destroyed"]),
            series=("destroyed",),
            horizontal=True,
            totals={key: sum(row[key] for row in table) for key in ("destroyed", "found")},
        )
    ]  # fmt: skip


# Casualties: one query, by month (which brings its year) and every disaggregation, read once for
# every casualty figure: a second pass over a million casualties costs more than the rows.
CASUALTY_GROUPS = ["month", "outcome", "civilian_status", "sex", "age_group", "device_category"]
KILLED, INJURED = Casualty.Outcome.KILLED, Casualty.Outcome.INJURED
CIVILIAN = Casualty.CivilianStatus.CIVILIAN
CHILD, ADULT = Casualty.AgeGroup.CHILD, Casualty.AgeGroup.ADULT


def _sadd(row) -> str:
    """Women, men, girls, boys (DOMAIN.md: a child is under 18), or unknown."""
    return {
        (Sex.FEMALE, ADULT): "women",
        (Sex.MALE, ADULT): "men",
        (Sex.FEMALE, CHILD): "girls",
        (Sex.MALE, CHILD): "boys",
    }.get((row["sex"], row["age_group"]), "sex_age_unknown")


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def casualty_figures(request, filters, regions) -> list[Figure]:
    rows = api_statistics(CasualtyStatisticsView, request, filters, CASUALTY_GROUPS)
    years: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    months: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    devices: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        year, count = years[row["year"]], row["count"]
        year[row["outcome"]] += count
        year["total"] += count
        year[_sadd(row)] += count
        if row["civilian_status"] == CIVILIAN:
            year["civilian"] += count
        if row["civilian_status"] != Casualty.CivilianStatus.UNKNOWN:
            year["status_known"] += count
        if row["age_group"] == CHILD:
            year["children"] += count
        devices[row["device_category"]][row["outcome"]] += count
        devices[row["device_category"]]["total"] += count
        months[(row["year"], row["month"] or "")][row["outcome"]] += count
    by_year = [
        {
            "label": str(year),
            "killed": counts[KILLED],
            "injured": counts[INJURED],
            "total": counts["total"],
            "civilian": counts["civilian"],
            "civilian_share": _share(counts["civilian"], counts["status_known"]),
            "children": counts["children"],
            **{key: counts[key] for key in ("women", "men", "girls", "boys", "sex_age_unknown")},
        }
        for year, counts in sorted(years.items())
    ]
    every = defaultdict(int)
    for counts in years.values():
        for key, value in counts.items():
            every[key] += value
    totals = {
        "killed": every[KILLED],
        "injured": every[INJURED],
        "total": every["total"],
        "civilian": every["civilian"],
        "civilian_share": _share(every["civilian"], every["status_known"]),
        "children": every["children"],
        "children_share": _share(every["children"], every["total"]),
        **{key: every[key] for key in ("women", "men", "girls", "boys", "sex_age_unknown")},
    }
    by_device = [
        {"label": category.label, "category": category.value, "killed": devices[category][KILLED],
         "injured": devices[category][INJURED], "total": devices[category]["total"]}
        for category in OrdnanceCategory
        if category in devices
    ]  # fmt: skip
    year_label = Column("label", _("Year"), "text")
    return [
        Figure(
            slug="casualties-by-year",
            title=_("Casualties per year: killed and injured"),
            note=_("Casualties of approved incidents. The civilian share counts casualties whose status is known."),
            columns=[
                year_label,
                Column("killed", _("Killed")),
                Column("injured", _("Injured")),
                Column("total", _("Casualties")),
                Column("civilian", _("Civilians")),
                Column("civilian_share", _("Civilian share"), "percent"),
                Column("children", _("Children")),
            ],
            rows=by_year,
            series=("killed", "injured"),
            stacked=True,
            totals=totals,
        ),
        Figure(
            slug="casualties-by-sex-and-age",
            title=_("Casualties per year by sex and age"),
            note=_("A child is under 18."),
            columns=[
                year_label,
                Column("women", _("Women")),
                Column("men", _("Men")),
                Column("girls", _("Girls")),
                Column("boys", _("Boys")),
                Column("sex_age_unknown", _("Sex or age unknown")),
            ],
            rows=by_year,
            series=("women", "men", "girls", "boys", "sex_age_unknown"),
            stacked=True,
        ),
        Figure(
            slug="casualties-by-device",
            title=_("Casualties by device"),
            note=_("Improvised anti-personnel mines are counted apart from other IEDs (command-operated, remote)."),
            columns=[
                Column("label", _("Device"), "text"),
                Column("category", _("Code"), "code"),
                Column("killed", _("Killed")),
                Column("injured", _("Injured")),
                Column("total", _("Casualties")),
            ],
            rows=sorted(by_device, key=lambda row: -row["total"]),
            series=("killed", "injured"),
            stacked=True,
            horizontal=True,
        ),
        _month_figure(months),
    ]


# A chart of three years' months stays readable on a phone, and the page light, whatever the period.
MONTHS_SHOWN = 36


def _month_figure(months: dict[tuple, dict]) -> Figure:
    table = []
    for (year, month), counts in sorted(months.items()):
        if month:
            label = date_format(datetime.date(year, int(month[5:7]), 1), "YEAR_MONTH_FORMAT")
        else:
            label = _("%(year)s, month not known") % {"year": year}
        table.append(
            {"label": label, "month": month or str(year), "killed": counts[KILLED], "injured": counts[INJURED],
             "total": counts[KILLED] + counts[INJURED]}
        )  # fmt: skip
    return Figure(
        slug="casualties-by-month",
        title=_("Casualties per month"),
        note=_(
            "The last %(months)s months of the selection; the CSV gives every month. Casualties of an incident "
            "known only by its year count under that year, apart from its months."
        )
        % {"months": MONTHS_SHOWN},
        columns=[
            Column("label", _("Month"), "text"),
            Column("month", _("Month (YYYY-MM)"), "code"),
            Column("killed", _("Killed")),
            Column("injured", _("Injured")),
            Column("total", _("Casualties")),
        ],
        rows=table,
        series=("killed", "injured"),
        stacked=True,
        latest=MONTHS_SHOWN,
    )


EORE_PEOPLE = ("girls", "boys", "women", "men")


def risk_education_figures(request, filters, regions) -> list[Figure]:
    rows = api_statistics(RiskEducationStatisticsView, request, filters, ["year"])
    table = [
        {"label": str(row["year"]), "count": row["count"],
         **{key: row[key] or 0 for key in (*EORE_PEOPLE, "beneficiaries", "with_disability")}}
        for row in rows
    ]  # fmt: skip
    return [
        Figure(
            slug="risk-education",
            title=_("People reached by risk education, by sex and age"),
            note=_("Approved explosive ordnance risk education sessions, by year."),
            columns=[
                Column("label", _("Year"), "text"),
                Column("girls", _("Girls")),
                Column("boys", _("Boys")),
                Column("women", _("Women")),
                Column("men", _("Men")),
                Column("beneficiaries", _("People reached")),
                Column("with_disability", _("Of whom with a disability")),
                Column("count", _("Sessions")),
            ],
            rows=table,
            series=EORE_PEOPLE,
            stacked=True,
            totals={key: sum(row[key] for row in table) for key in (*EORE_PEOPLE, "beneficiaries", "count")},
        )
    ]


def assistance_figures(request, filters, regions) -> list[Figure]:
    rows = {
        row["service_type"]: row for row in api_statistics(AssistanceStatisticsView, request, filters, ["service_type"])
    }
    table = [
        {"label": kind.label, "service_type": kind.value, "count": rows[kind]["count"],
         "survivors": rows[kind]["survivors"]}
        for kind in AssistanceService.ServiceType
        if kind in rows
    ]  # fmt: skip
    return [
        Figure(
            slug="victim-assistance",
            title=_("Victim assistance services"),
            note=_("Approved services, by the year they started; a survivor may receive several kinds of service."),
            columns=[
                Column("label", _("Service"), "text"),
                Column("service_type", _("Code"), "code"),
                Column("count", _("Services")),
                Column("survivors", _("Survivors reached")),
            ],
            rows=sorted(table, key=lambda row: -row["count"]),
            series=("count",),
            horizontal=True,
            totals={"count": sum(row["count"] for row in table)},
        )
    ]


GROUPS = (
    FigureGroup(("contamination-by-region", "contamination-by-type"), contamination_figures),
    FigureGroup(("land-release",), land_release_figures),
    FigureGroup(("items-destroyed",), items_figures),
    FigureGroup(
        ("casualties-by-year", "casualties-by-sex-and-age", "casualties-by-device", "casualties-by-month"),
        casualty_figures,
    ),
    FigureGroup(("risk-education",), risk_education_figures),
    FigureGroup(("victim-assistance",), assistance_figures),
)
FIGURE_SLUGS = tuple(slug for group in GROUPS for slug in group.slugs)


def dashboard_figures(
    *, request: HttpRequest, filters: Mapping[str, str], regions: Mapping[str, str]
) -> dict[str, Figure]:
    """Every figure of the dashboard, by slug, for the request's user."""
    figures = {}
    for group in GROUPS:
        request._figures_freshness = []
        for figure in group.compute(request, filters, regions):
            figures[figure.slug] = figure
            if request._figures_freshness:
                figure.as_of = min(fresh["as_of"] for fresh in request._figures_freshness)
                figure.up_to_date = all(fresh["up_to_date"] for fresh in request._figures_freshness)
    del request._figures_freshness
    return figures


def figures_freshness(figures: Mapping[str, Figure]) -> tuple[datetime.datetime | None, bool]:
    """The oldest time the figures hold, and whether every summary they read was up to date."""
    times = [figure.as_of for figure in figures.values() if figure.as_of is not None]
    return (min(times) if times else None), all(figure.up_to_date for figure in figures.values())


def _scope(user) -> str:
    """Who reads the same figures: the authority (or its staff limited to some régions), or one
    organisation's staff."""
    from accounts.selectors import user_organisation
    from core.selectors import user_regions

    if is_authority(user):
        return "authority:" + ",".join(str(pk) for pk in sorted(user_regions(user)))
    organisation = user_organisation(user)
    return f"organisation:{organisation.pk if organisation else '-'}"


def cached_dashboard_figures(
    *, request: HttpRequest, filters: Mapping[str, str], regions: Mapping[str, str]
) -> dict[str, Figure]:
    """`dashboard_figures`, kept for `DASHBOARD_CACHE_SECONDS` per reader's scope, filters and
    language. A write through the services starts a new generation of keys (core.statistics): an
    approval shows at once; only data loaded around the services waits for the expiry."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return dashboard_figures(request=request, filters=filters, regions=regions)
    generation = statistics_generation()
    parts = [
        str(generation),
        get_language() or "",
        _scope(request.user),
        *sorted(f"{k}={v}" for k, v in filters.items()),
    ]
    key = "dashboard:" + hashlib.sha256("|".join(parts).encode()).hexdigest()
    figures = cache.get(key) if generation else None
    if figures is None:
        figures = dashboard_figures(request=request, filters=filters, regions=regions)
        if generation:
            cache.set(key, figures, timeout=seconds)
    return figures
