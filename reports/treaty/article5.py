"""The annex of an APMBC Article 5 extension request: remaining contamination by région, land
class and contamination type, progress in land release, and a yearly work plan from the capacity
(`reports.models.ClearanceCapacity`)."""

from collections.abc import Sequence

from django.utils.translation import gettext as _

from core.statistics import area_pcode
from hazards.models import ContaminationType, HazardArea, LandClass, LandReleaseActivity
from reference.country import level_name
from reports.treaty import figures
from reports.treaty.counted import counted_from
from reports.treaty.structure import KM2, M2, TEXT, Column, Row, Section, Table
from reports.treaty.tables import (
    RELEASE_COLUMNS,
    Context,
    describe_activity,
    describe_hazard,
    km2,
    m2,
    record_label,
    region_columns,
    release_columns,
    release_values,
    types_label,
    with_total,
)


def article5(ctx: Context) -> list[Section]:
    year = ctx.year
    capacities = figures.capacities()
    if not capacities:
        figures.work_plan(remaining_m2=0, first_year=year + 1, capacities=capacities)
    hazards = figures.hazards_open_at_year_end(ctx.user, year)
    land_classes = [(c.value, str(c.label)) for c in LandClass]
    class_columns = [
        Column(f"class_{value}", _("%(class)s (m²)") % {"class": label}, M2) for value, label in land_classes
    ]

    by_region = Table(
        key="A5.region",
        title="1.1 " + _("Remaining contaminated area on %(day)s by %(level)s and land class")
        % {"day": ctx.end, "level": level_name(figures.REGION_LEVEL).lower()},
        columns=[
            *region_columns(), Column("count", _("Open areas")), Column("remaining", _("Remaining (m²)"), M2),
            Column("remaining_km2", _("Remaining (km²)"), KM2), *class_columns,
        ],
        empty_text=_("No hazardous area was open on %(day)s.") % {"day": ctx.end},
    )  # fmt: skip
    for row in figures.remaining_by_region_and_class(hazards):
        by_region.rows.append(
            Row({"label": ctx.region(row["c_region"]), "pcode": row["c_region"] or "", "count": row["count"],
                 "remaining": m2(row["remaining"]), "remaining_km2": km2(row["remaining"]),
                 **{c.key: m2(row[c.key]) for c in class_columns}})
        )  # fmt: skip
    with_total(by_region)

    by_type = Table(
        key="A5.type",
        title="1.2 "
        + _("Remaining contaminated area on %(day)s by contamination type and land class") % {"day": ctx.end},
        columns=[
            Column("label", _("Contamination type"), TEXT), Column("count", _("Open areas")),
            Column("remaining", _("Remaining (m²)"), M2), Column("remaining_km2", _("Remaining (km²)"), KM2),
            *class_columns,
        ],
        notes=[_("An area holding several contamination types counts under each type, as on the dashboard: the rows "
                 "add up to more than the total, which counts each area once.")],
        empty_text=by_region.empty_text,
    )  # fmt: skip
    totals = figures.remaining_by_type_and_class(hazards)
    kinds = [(t.value, str(t.label)) for t in ContaminationType] + [(figures.UNTYPED, _("Type not given"))]
    for value, label in kinds:
        if totals[f"t_{value}_count"]:
            by_type.rows.append(
                Row({"label": label, "count": totals[f"t_{value}_count"],
                     "remaining": m2(totals[f"t_{value}_remaining"]),
                     "remaining_km2": km2(totals[f"t_{value}_remaining"]),
                     **{c.key: m2(totals[f"t_{value}_{c.key}"]) for c in class_columns}})
            )  # fmt: skip
    if by_type.rows:
        by_type.rows.append(
            Row({"label": _("Total (each area once)"), "count": totals["count"], "remaining": m2(totals["remaining"]),
                 "remaining_km2": km2(totals["remaining"]),
                 **{c.key: sum(r.values[c.key] for r in by_region.rows if r.total) for c in class_columns}},
                total=True)
        )  # fmt: skip
    classes = dict(land_classes)
    remaining_counted = counted_from(
        hazards.annotate(c_region=area_pcode("admin_area", figures.REGION_LEVEL)),
        form=_("Remaining area"), figure=f"{by_region.title}; {by_type.title}",
        record_type=record_label(HazardArea), under=["c_region", "land_class", "contamination_types"],
        label=lambda k: " · ".join([ctx.region(k[0]), classes.get(k[1], k[1]), types_label(k[2])]),
        describe=describe_hazard(),
    )  # fmt: skip
    by_region.counted = by_type.counted = [remaining_counted]
    remaining_total = float(totals["remaining"] or 0)
    remaining = Section(
        key="remaining", short=_("Remaining area"),
        title=_("Remaining contamination"),
        tables=[by_region, by_type],
        notes=[
            _("Approved hazardous areas surveyed by %(day)s and still open that day: neither handed over nor wholly "
              "released by approved land release activities that started by then. Their remaining area is the area "
              "less what those activities released.") % {"day": ctx.end},
        ],
    )  # fmt: skip

    activities = figures.activities_releasing(ctx.user, until=year)
    rows = {row["year"]: row for row in figures.release_by_year(activities)}
    progress_table = Table(
        key="A5.progress",
        title="2.1 " + _("Land released per year"),
        columns=release_columns([Column("label", _("Year"), TEXT)]),
        empty_text=_("No land release is recorded up to %(year)s.") % {"year": year},
    )
    if rows:
        empty = {"count": 0, **{measure: 0 for measure, _key in RELEASE_COLUMNS}}
        for each in range(min(rows), year + 1):
            progress_table.rows.append(Row({"label": str(each), **release_values(rows.get(each, empty))}))
        with_total(progress_table)
    progress_table.counted = [counted_from(
        activities, form=_("Progress"), figure=progress_table.title,
        record_type=record_label(LandReleaseActivity), under=["start_date__year"],
        label=lambda k: str(k[0]), describe=describe_activity(),
    )]  # fmt: skip
    progress = Section(
        key="progress", short=_("Progress"),
        title=_("Progress in land release"),
        tables=[progress_table],
        notes=[
            _("Approved activities by the year they started, from the first year with data to %(year)s, as the land "
              "release statistics (/api/v1/statistics/land-release-activities/) sum them.") % {"year": year},
        ],
    )  # fmt: skip
    return [remaining, progress, plan_section(ctx, remaining_total, capacities)]


def plan_section(ctx: Context, remaining_m2: float, capacities: Sequence[figures.Capacity]) -> Section:
    plan = figures.work_plan(remaining_m2=remaining_m2, first_year=ctx.year + 1, capacities=capacities)
    capacity_table = Table(
        key="A5.capacity",
        title="3.1 " + _("Clearance capacity assumed"),
        columns=[
            Column("label", _("From the year"), TEXT), Column("teams", _("Teams")),
            Column("m2_per_team", _("m² released per team and year")), Column("m2_per_year", _("m² released per year")),
        ],
    )  # fmt: skip
    for capacity in capacities:
        capacity_table.rows.append(
            Row({"label": str(capacity.start_year), "teams": capacity.teams,
                 "m2_per_team": capacity.m2_per_team_per_year, "m2_per_year": capacity.m2_per_year})
        )  # fmt: skip
    plan_table = Table(
        key="A5.plan",
        title="3.2 " + _("Yearly work plan from %(year)s") % {"year": ctx.year + 1},
        columns=[
            Column("label", _("Year"), TEXT), Column("teams", _("Teams")),
            Column("m2_per_team", _("m² released per team and year")),
            Column("planned", _("To release (m²)"), M2), Column("planned_km2", _("To release (km²)"), KM2),
            Column("remaining", _("Remaining at the end of the year (m²)"), M2),
            Column("remaining_km2", _("Remaining at the end of the year (km²)"), KM2),
        ],
        empty_text=_("Nothing remains to be released: no work plan is needed."),
    )  # fmt: skip
    for each in plan.years:
        plan_table.rows.append(
            Row({"label": str(each.year), "teams": each.capacity.teams,
                 "m2_per_team": each.capacity.m2_per_team_per_year, "planned": m2(each.planned_m2),
                 "planned_km2": km2(each.planned_m2), "remaining": m2(each.remaining_m2),
                 "remaining_km2": km2(each.remaining_m2)})
        )  # fmt: skip
    notes = [
        _("Each year the capacity from the latest year not after it applies: teams × m² a team releases in a year. "
          "The plan starts from the remaining area on %(day)s.") % {"day": ctx.end},
    ]  # fmt: skip
    if plan.years and plan.finished:
        notes.append(_("The remaining area is released by the end of %(year)s.") % {"year": plan.years[-1].year})
    elif plan.years:
        notes.append(
            _("The plan is cut at %(years)s years: %(m2)s m² would still remain at the end of %(year)s.")
            % {"years": figures.PLAN_YEARS_MAX, "m2": f"{plan.years[-1].remaining_m2:.0f}", "year": plan.years[-1].year}
        )
    return Section(
        key="plan", title=_("Work plan"), short=_("Work plan"), tables=[capacity_table, plan_table], notes=notes
    )
