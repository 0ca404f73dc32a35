"""The figures of the treaty reports, each table computed by one SQL query through the ORM.

Rules shared with the statistics API and the dashboard, so that a report agrees with them:
- only approved records count, never a deleted or merged one (`core.statistics`); `user=None`
  reads the whole national database, a user what `core.selectors.records_visible` gives them;
- a record's year is that of its registry date (`core.registry`: `start_date` of land release
  activities, as `/api/v1/statistics/land-release-activities/` groups them, `incident_date` of casualties,
  `session_date`, the start of a service); a date known only by its month or year is stored as
  the first day of that period (`core.dates`), so it counts in the year it lies in;
- areas are grouped by the P-code of their région (`core.statistics.area_pcode`), whatever
  boundary version the record was placed in;
- the state of a hazardous area at the end of a year follows from its approved land release
  activities that started by then, as `hazards.services.hazard_areas_recompute` derives the
  current state from all of them (IMAS 08.10).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import AssistanceService
from core import registry
from core.exceptions import ApplicationError
from core.models import RecordStatus
from core.selectors import records_visible
from core.statistics import area_pcode, grouped_statistics
from education.api.statistics import RiskEducationStatisticsView
from hazards.api.statistics import LandReleaseStatisticsView
from hazards.models import ContaminationType, HazardArea, ItemFound, LandClass, LandReleaseActivity
from hazards.services import AREA_TOLERANCE_M2
from incidents.models import Casualty, Incident
from incidents.selectors import STATISTICS_GROUPS as CASUALTY_GROUPS
from reference.models import Activation, AdministrativeArea, OrdnanceCategory, area_name
from reference.ordnance import PERSON_ONLY_ACTIVATIONS
from reports.models import ClearanceCapacity

FIRST_YEAR = 1990
REGION_LEVEL = 1
CERCLE_LEVEL = 2
# An Article 5 work plan stops after this many years, finished or not.
PLAN_YEARS_MAX = 100


def check_year(year) -> int:
    """A calendar year from 1990 (before any mine action treaty report) to the current one."""
    current = timezone.localdate().year
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= current:
        raise ApplicationError(
            _("The report cannot be generated."),
            errors={"year": [_("Give a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": current}]},
        )
    return year


def year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


def counted_records(model, user) -> QuerySet:
    """Approved, non-deleted records of `model` (or whose report is): the whole national database
    for `user=None`, else those `records_visible` gives the user."""
    entry = registry.get(model)
    queryset = model._default_manager.all()
    if user is not None:
        queryset = records_visible(queryset, user, entry=entry)
    via = entry.owner_path
    return queryset.filter(**{f"{via}status": RecordStatus.APPROVED, f"{via}deleted_at__isnull": True})


def area_names() -> dict[str, str]:
    """The name of every area by P-code in the active language, from its latest boundary version."""
    names: dict[str, str] = {}
    for area in AdministrativeArea.objects.filter(level__in=(REGION_LEVEL, CERCLE_LEVEL)).order_by("valid_from"):
        names[area.pcode] = area_name(area)
    return names


# --- Hazardous areas at the end of a year -------------------------------------------------------


def released_sum():
    """Area cancelled, reduced and cleared (m²)."""
    return Sum(F("area_cancelled_m2") + F("area_reduced_m2") + F("area_cleared_m2"))


def hazards_open_at_year_end(user, year: int, *, contamination: Sequence[str] = ()) -> QuerySet:
    """Approved hazardous areas surveyed by 31 December of `year` and still open that day, with
    `remaining_by_end` (m²): the area less what approved activities started by then released.

    Open as `hazard_areas_recompute` says (IMAS 08.10): not handed over, and more than
    `AREA_TOLERANCE_M2` left. `contamination`: only areas holding one of these types.
    """
    end = year_end(year)
    activities = LandReleaseActivity.objects.filter(
        hazard_area=OuterRef("pk"), status=RecordStatus.APPROVED, deleted_at__isnull=True, start_date__lte=end
    )
    released = activities.order_by().values("hazard_area").annotate(total=released_sum()).values("total")
    queryset = counted_records(HazardArea, user).filter(survey_date__lte=end)
    if contamination:
        queryset = queryset.filter(contamination_types__overlap=list(contamination))
    return (
        queryset.annotate(
            released_by_end=Coalesce(Subquery(released, output_field=FloatField()), Value(0.0)),
            handed_over_by_end=Exists(activities.filter(kind=LandReleaseActivity.Kind.HANDOVER)),
        )
        .annotate(remaining_by_end=Greatest(F("area_m2") - F("released_by_end"), Value(0.0)))
        .filter(handed_over_by_end=False, remaining_by_end__gt=AREA_TOLERANCE_M2)
    )


class _Centroid(Func):
    function = "ST_Centroid"


def hazard_listing(hazards: QuerySet) -> list[dict]:
    """One row per area (APMBC Form C, CCM Form F): where it is, what it is, what remains."""
    rows = (
        hazards.annotate(
            c_region=area_pcode("admin_area", REGION_LEVEL),
            c_cercle=area_pcode("admin_area", CERCLE_LEVEL),
            c_pcode=F("admin_area__pcode"),
            c_lon=Func(_Centroid("geometry"), function="ST_X", output_field=FloatField()),
            c_lat=Func(_Centroid("geometry"), function="ST_Y", output_field=FloatField()),
        )
        .values_list(
            "pk", "reference", "c_region", "c_cercle", "c_pcode", "c_lat", "c_lon", "land_class", "area_m2",
            "remaining_by_end", "contamination_types", "hazard_status", "hazard_status_date",
        )
        .order_by("c_region", "reference")
    )  # fmt: skip
    keys = (
        "id", "reference", "region", "cercle", "pcode", "lat", "lon", "land_class", "area_m2", "remaining_m2",
        "contamination_types", "status_now", "status_on",
    )  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def hazards_by_region(hazards: QuerySet, groups: dict[str, Sequence[str]]) -> list[dict]:
    """Per région: for each group (name -> contamination types), the areas holding one of its
    types and their remaining area."""
    measures = {}
    for name, types in groups.items():
        holds = Q(contamination_types__overlap=list(types))
        measures[f"{name}_count"] = Count("pk", filter=holds)
        measures[f"{name}_remaining"] = Sum("remaining_by_end", filter=holds)
    return list(
        hazards.annotate(c_region=area_pcode("admin_area", REGION_LEVEL))
        .values("c_region")
        .annotate(**measures)
        .order_by("c_region")
    )


def remaining_by_region_and_class(hazards: QuerySet) -> list[dict]:
    """Article 5: open areas and their remaining area per région, by land class."""
    measures = {
        "count": Count("pk"),
        "remaining": Sum("remaining_by_end"),
        **{f"class_{c.value}": Sum("remaining_by_end", filter=Q(land_class=c)) for c in LandClass},
    }
    return list(
        hazards.annotate(c_region=area_pcode("admin_area", REGION_LEVEL))
        .values("c_region")
        .annotate(**measures)
        .order_by("c_region")
    )


UNTYPED = "untyped"


def remaining_by_type_and_class(hazards: QuerySet) -> dict:
    """Article 5: open areas and their remaining area per contamination type, by land class (`t_<type>_...`).
    An area counts once under each type it holds (as the dashboard's remaining area by type);
    areas with no type given count under `UNTYPED`."""
    conditions = {t.value: Q(contamination_types__contains=[t.value]) for t in ContaminationType}
    conditions[UNTYPED] = Q(contamination_types=[])
    measures = {}
    for kind, holds in conditions.items():
        measures[f"t_{kind}_count"] = Count("pk", filter=holds)
        measures[f"t_{kind}_remaining"] = Sum("remaining_by_end", filter=holds)
        for land_class in LandClass:
            measures[f"t_{kind}_class_{land_class.value}"] = Sum(
                "remaining_by_end", filter=holds & Q(land_class=land_class)
            )
    return hazards.aggregate(count=Count("pk"), remaining=Sum("remaining_by_end"), **measures)


# --- Land release ---------------------------------------------------------------------------------

RELEASE_MEASURES = LandReleaseStatisticsView.measures
RELEASE_GROUPS = LandReleaseStatisticsView.groups
RELEASED = Q(area_cancelled_m2__gt=0) | Q(area_reduced_m2__gt=0) | Q(area_cleared_m2__gt=0)


def activities_releasing(user, *, year: int | None = None, until: int | None = None, hazard_contamination=()):
    """Approved activities that released land (their areas are what the land release statistics
    sum), started in `year` or by the end of `until`; `hazard_contamination`: only those on
    hazardous areas holding one of these types."""
    queryset = counted_records(LandReleaseActivity, user).filter(RELEASED)
    if year is not None:
        queryset = queryset.filter(start_date__year=year)
    if until is not None:
        queryset = queryset.filter(start_date__lte=year_end(until))
    if hazard_contamination:
        queryset = queryset.filter(hazard_area__contamination_types__overlap=list(hazard_contamination))
    return queryset


def release_by_region(activities: QuerySet) -> list[dict]:
    """Area cancelled, reduced and cleared per région (m²), as the land release statistics sum them."""
    return _statistics(activities, RELEASE_GROUPS, ["admin_area"], RELEASE_MEASURES, level=REGION_LEVEL)


def release_by_year(activities: QuerySet) -> list[dict]:
    return _statistics(activities, RELEASE_GROUPS, ["year"], RELEASE_MEASURES)


def marking_activities(user, year: int) -> QuerySet:
    return counted_records(LandReleaseActivity, user).filter(
        kind=LandReleaseActivity.Kind.MARKING, start_date__year=year
    )


def marking_by_region(activities: QuerySet) -> list[dict]:
    return _statistics(activities, RELEASE_GROUPS, ["admin_area"], {"count": Count("pk")}, level=REGION_LEVEL)


def _statistics(queryset, groups, group_by, measures, *, level: int | None = None) -> list[dict]:
    return grouped_statistics(
        queryset, groups=groups, group_by=group_by, measures=measures, include_submitted=False,
        admin_area_level=level, via=registry.get(queryset.model).owner_path,
    )  # fmt: skip


# --- Items destroyed --------------------------------------------------------------------------------


def items_destroyed(user, year: int, categories: Iterable[str]) -> QuerySet:
    """Items found destroyed in approved activities that started in `year` (APMBC Form G, CCM
    Form F), of these categories: the items the dashboard counts as destroyed."""
    return counted_records(ItemFound, user).filter(
        destroyed=True, category__in=list(categories), activity__start_date__year=year
    )


def items_by_category_and_model(items: QuerySet) -> list[dict]:
    return list(
        items.values("category", model=F("ordnance_type__model"))
        .annotate(quantity=Sum("quantity"), items=Count("pk"))
        .order_by("category", F("model").asc(nulls_last=True))
    )


# --- Risk education -----------------------------------------------------------------------------------


def risk_education_sessions(user, year: int) -> QuerySet:
    return counted_records(RiskEducationStatisticsView.model, user).filter(session_date__year=year)


def risk_education_by_region(sessions: QuerySet) -> list[dict]:
    """Sessions and the girls, boys, women and men they reached (and with a disability), per région,
    as the risk education statistics sum them."""
    return _statistics(
        sessions, RiskEducationStatisticsView.groups, ["admin_area"], RiskEducationStatisticsView.measures,
        level=REGION_LEVEL,
    )  # fmt: skip


# --- Casualties ---------------------------------------------------------------------------------------

CLUSTER_MUNITION_INCIDENT = Q(incident_class=Incident.IncidentClass.CLUSTER_MUNITION) | Q(
    device_category=OrdnanceCategory.CLUSTER_MUNITION_REMNANT
)

# Landmine Monitor: command-detonated devices are left out of its casualty totals. An incident's
# device was command-detonated when it was set off by command, is recorded as command-operated,
# or is an "other IED" (command-operated or remote, by its category) with no sign that its victim
# set it off (victim-activated, set off by a person, stepped on, tripwire).
_VICTIM_SIGNS = (
    Q(incident__activation=Activation.VICTIM)
    | Q(incident__person_activated=True)
    | Q(incident__how_activated__in=sorted(PERSON_ONLY_ACTIVATIONS))
)
COMMAND_DETONATED = (
    Q(incident__how_activated=Incident.HowActivated.COMMAND)
    | Q(incident__activation=Activation.COMMAND)
    | (Q(incident__device_category=OrdnanceCategory.OTHER_IED) & ~_VICTIM_SIGNS)
)
CASUALTY_FIGURE_GROUPS = {
    **CASUALTY_GROUPS,
    "command_detonated": Case(
        When(COMMAND_DETONATED, then=Value(True)), default=Value(False), output_field=BooleanField()
    ),
}
CASUALTY_DISAGGREGATION = ["outcome", "sex", "age_group", "civilian_status", "device_category"]


def casualties_of_year(user, year: int, *, cluster_munitions: bool = False) -> QuerySet:
    casualties = counted_records(Casualty, user).filter(incident__incident_date__year=year)
    if cluster_munitions:
        casualties = casualties.filter(incident__in=Incident.objects.filter(CLUSTER_MUNITION_INCIDENT).values("pk"))
    return casualties


def casualty_counts(casualties: QuerySet, *, command_detonated: bool = False) -> list[dict]:
    """Casualties counted by outcome, sex, age group, civilian status and device category (and
    whether command-detonated), as `/api/v1/statistics/casualties/` groups them."""
    group_by = [*CASUALTY_DISAGGREGATION, *(["command_detonated"] if command_detonated else [])]
    return _statistics(casualties, CASUALTY_FIGURE_GROUPS, group_by, {"count": Count("pk")})


def casualty_listing(casualties: QuerySet, *, command_detonated: bool = False) -> tuple[QuerySet, list[str]]:
    """The casualties and the fields that place each in the disaggregation, for the list of records
    counted."""
    fields = ["outcome", "sex", "age_group", "civilian_status", "incident__device_category"]
    if command_detonated:
        casualties = casualties.annotate(c_command=CASUALTY_FIGURE_GROUPS["command_detonated"])
        fields.append("c_command")
    return casualties, fields


# --- Victim assistance -----------------------------------------------------------------------------------


def services_started(user, year: int, *, cluster_munitions: bool = False) -> QuerySet:
    services = counted_records(AssistanceService, user).filter(start_date__year=year)
    if cluster_munitions:
        services = services.filter(
            survivor__casualty__incident__in=Incident.objects.filter(CLUSTER_MUNITION_INCIDENT).values("pk")
        )
    return services


def services_by_type(services: QuerySet) -> dict:
    """Services and survivors reached per service type, and the survivors reached by any (a survivor
    receiving two kinds of service counts once), in one query."""
    measures = {"count": Count("pk"), "survivors": Count("survivor", distinct=True)}
    for kind in AssistanceService.ServiceType:
        of_kind = Q(service_type=kind)
        measures[f"s_{kind.value}_count"] = Count("pk", filter=of_kind)
        measures[f"s_{kind.value}_survivors"] = Count("survivor", distinct=True, filter=of_kind)
    return services.aggregate(**measures)


# --- Cluster munition remnants recorded at all ---------------------------------------------------------


def cluster_munitions_recorded(user) -> bool:
    """Whether the approved data (any year) holds a cluster munition remnant: a contaminated area,
    an item found or an incident."""
    cluster = ContaminationType.CLUSTER_MUNITIONS
    return (
        counted_records(HazardArea, user).filter(contamination_types__contains=[cluster]).exists()
        or counted_records(ItemFound, user).filter(category=OrdnanceCategory.CLUSTER_MUNITION_REMNANT).exists()
        or counted_records(Incident, user).filter(CLUSTER_MUNITION_INCIDENT).exists()
    )


# --- Article 5 work plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capacity:
    start_year: int
    teams: int
    m2_per_team_per_year: int

    @property
    def m2_per_year(self) -> int:
        return self.teams * self.m2_per_team_per_year


@dataclass(frozen=True)
class PlanYear:
    year: int
    capacity: Capacity
    planned_m2: float
    remaining_m2: float


@dataclass(frozen=True)
class WorkPlan:
    years: list[PlanYear]
    finished: bool


def capacities() -> list[Capacity]:
    rows = ClearanceCapacity.objects.order_by("start_year").values_list("start_year", "teams", "m2_per_team_per_year")
    return [Capacity(*row) for row in rows]


def _capacity_error(message: str) -> ApplicationError:
    return ApplicationError(_("The Article 5 work plan cannot be computed."), errors={"capacity": [message]})


def work_plan(*, remaining_m2: float, first_year: int, capacities: Sequence[Capacity]) -> WorkPlan:
    """A yearly plan from `first_year` until the remaining area is released (APMBC Art. 5
    extension requests: a work plan with its capacity), at most `PLAN_YEARS_MAX` years.

    Each year the capacity with the latest `start_year` not after it applies: teams × m² a team
    releases in a year. A year without one, or with a capacity of zero, stops the plan with an
    error naming it: a plan that never ends is no plan.
    """
    ordered = sorted(capacities, key=lambda c: c.start_year)
    if not ordered:
        raise _capacity_error(
            _("No clearance capacity is recorded: add the teams and the area a team releases in a year, from a year "
              "on (admin: Clearance capacities).")
        )  # fmt: skip
    years: list[PlanYear] = []
    remaining = max(float(remaining_m2), 0.0)
    year = first_year
    while remaining > 0 and len(years) < PLAN_YEARS_MAX:
        applying = [c for c in ordered if c.start_year <= year]
        if not applying:
            raise _capacity_error(
                _("No clearance capacity applies to %(year)s: the first one starts in %(start)s. Add one from "
                  "%(year)s or earlier.") % {"year": year, "start": ordered[0].start_year}
            )  # fmt: skip
        capacity = applying[-1]
        if capacity.m2_per_year <= 0:
            raise _capacity_error(
                _("The clearance capacity from %(start)s is zero (%(teams)s teams × %(m2)s m² a year): the work "
                  "plan for %(year)s releases nothing.")
                % {"start": capacity.start_year, "teams": capacity.teams, "m2": capacity.m2_per_team_per_year,
                   "year": year}
            )  # fmt: skip
        planned = min(remaining, float(capacity.m2_per_year))
        remaining -= planned
        years.append(PlanYear(year=year, capacity=capacity, planned_m2=planned, remaining_m2=remaining))
        year += 1
    return WorkPlan(years=years, finished=remaining <= 0)
