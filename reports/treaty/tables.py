"""What the forms of the treaty reports share: tables of areas, land release, items destroyed,
risk education, casualties and victim assistance, built from `reports.treaty.figures` and labelled
in the active language, each with the records it counted."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import F
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from assistance.models import AssistanceService
from core.statistics import area_pcode
from education.models import RiskEducationSession
from hazards.models import ContaminationType, HazardArea, ItemFound, LandClass, LandReleaseActivity
from incidents.models import Casualty, Incident, Sex
from reference.country import level_name
from reference.models import OrdnanceCategory
from reports.treaty import figures
from reports.treaty.counted import add_records, counted_from, describer
from reports.treaty.structure import DEGREES, HA, INT, KM2, M2, TEXT, Column, Counted, Row, Table

KILLED, INJURED = Casualty.Outcome.KILLED, Casualty.Outcome.INJURED
CHILD, ADULT = Casualty.AgeGroup.CHILD, Casualty.AgeGroup.ADULT


@dataclass
class Context:
    year: int
    user: object
    names: dict[str, str]

    def region(self, pcode: str | None) -> str:
        if not pcode:
            return _("Not placed in an area")
        return self.names.get(pcode, pcode)

    @property
    def end(self) -> str:
        return figures.year_end(self.year).isoformat()


def record_label(model) -> str:
    """A record type as the list of records counted names it."""
    return str(capfirst(model._meta.verbose_name))


def m2(value) -> float:
    # Areas are summed in floating point: below a tenth of a m² is noise.
    return round(float(value or 0), 1)


def ha(value) -> float:
    return round(float(value or 0) / 10_000, 2)


def km2(value) -> float:
    return round(float(value or 0) / 1_000_000, 4)


def total_row(rows: list[Row], columns: Sequence[Column], label_key: str, label: str | None = None) -> Row:
    values = {column.key: "" for column in columns}
    values[label_key] = label or _("Total")
    for column in columns:
        if column.kind in (INT, M2, HA, KM2):
            values[column.key] = sum(row.values.get(column.key) or 0 for row in rows if not row.flagged)
            if column.kind != INT:
                values[column.key] = round(values[column.key], {M2: 1, HA: 2, KM2: 4}[column.kind])
    return Row(values, total=True)


def with_total(table: Table, label_key: str = "label") -> Table:
    if table.rows:
        table.rows.append(total_row(table.rows, table.columns, label_key))
    return table


def region_columns() -> list[Column]:
    return [Column("label", level_name(figures.REGION_LEVEL), TEXT), Column("pcode", _("P-code"), TEXT)]


def describe_activity():
    return describer(LandReleaseActivity, references=("reference", "external_id"))


def describe_hazard():
    return describer(HazardArea, references=("reference", "external_id"))


def describe_session():
    return describer(RiskEducationSession, references=("reference", "external_id"))


def describe_item():
    return describer(
        ItemFound, references=("activity__reference",), page_model=LandReleaseActivity, page_id="activity_id"
    )


def describe_casualty():
    return describer(
        Casualty, references=("incident__reference", "external_id"), page_model=Incident, page_id="incident_id"
    )


def describe_service():
    return describer(AssistanceService, references=("external_id", "survivor__casualty__incident__reference"))


# --- Hazardous areas (APMBC Form C, CCM Form F) ---------------------------------------------------


def types_label(types) -> str:
    labels = dict(ContaminationType.choices)
    return ", ".join(str(labels.get(kind, kind)) for kind in types or ()) or _("Type not given")


def hazard_tables(
    ctx: Context, *, form: str, prefix: str, groups: Sequence[tuple[str, str, Sequence[str], str]]
) -> list[Table]:
    """A summary per région, then one list per group (key, title, contamination types, what an
    empty list says): the areas open on 31 December and where they are."""
    land_classes = dict(LandClass.choices)
    statuses = dict(HazardArea.HazardStatus.choices)
    listing_columns = [
        Column("reference", _("Reference"), TEXT),
        Column("region", level_name(figures.REGION_LEVEL), TEXT),
        Column("cercle", level_name(figures.CERCLE_LEVEL), TEXT),
        Column("pcode", _("P-code"), TEXT),
        Column("lat", _("Latitude"), DEGREES),
        Column("lon", _("Longitude"), DEGREES),
        Column("land_class", _("Land class"), TEXT),
        Column("area_m2", _("Area (m²)"), M2),
        Column("remaining_m2", _("Remaining (m²)"), M2),
        Column("remaining_ha", _("Remaining (ha)"), HA),
        Column("types", _("Contamination types"), TEXT),
        Column("status", _("Status on %(day)s") % {"day": ctx.end}, TEXT),
        Column("status_today", _("Status today"), TEXT),
    ]
    lists: list[Table] = []
    listed: dict[int, tuple[str | None, set[str]]] = {}
    for number, (key, title, types, empty_text) in enumerate(groups, start=2):
        hazards = figures.hazards_open_at_year_end(ctx.user, ctx.year, contamination=types)
        rows = figures.hazard_listing(hazards)
        table = Table(
            key=f"{prefix}.{key}",
            title=f"{prefix}.{number} {title}",
            columns=listing_columns,
            listing=True,
            empty_text=empty_text,
        )
        for row in rows:
            listed.setdefault(row["id"], (row["region"], set()))[1].add(key)
            table.rows.append(
                Row(
                    {
                        "reference": row["reference"],
                        "region": ctx.region(row["region"]),
                        "cercle": ctx.names.get(row["cercle"], row["cercle"] or ""),
                        "pcode": row["pcode"] or "",
                        "lat": round(row["lat"], 6) if row["lat"] is not None else None,
                        "lon": round(row["lon"], 6) if row["lon"] is not None else None,
                        "land_class": str(land_classes.get(row["land_class"], row["land_class"])),
                        "area_m2": m2(row["area_m2"]),
                        "remaining_m2": m2(row["remaining_m2"]),
                        "remaining_ha": ha(row["remaining_m2"]),
                        "types": types_label(row["contamination_types"]),
                        "status": str(statuses[HazardArea.HazardStatus.OPEN]),
                        "status_today": _status_today(row, statuses),
                    }
                )
            )
        with_total(table, "reference")
        counted = Counted(
            form=form,
            figure=table.title,
            record_type=record_label(HazardArea),
            describe=describe_hazard(),
        )
        add_records(counted, ((row["id"], ()) for row in rows), lambda _key, title=title: title)
        table.counted = [counted]
        lists.append(table)

    group_titles = {key: title for key, title, _types, _empty in groups}
    summary_columns = region_columns()
    for key, title, _types, _empty in groups:
        summary_columns += [
            Column(f"{key}_count", _("%(group)s: areas") % {"group": title}),
            Column(f"{key}_remaining", _("%(group)s: remaining (m²)") % {"group": title}, M2),
        ]
    every_type = sorted({kind for _key, _title, types, _empty in groups for kind in types})
    by_region = figures.hazards_by_region(
        figures.hazards_open_at_year_end(ctx.user, ctx.year, contamination=every_type),
        {key: types for key, _title, types, _empty in groups},
    )
    summary = Table(
        key=f"{prefix}.summary",
        title=f"{prefix}.1 "
        + _("Areas open on %(day)s and their remaining area, by %(level)s")
        % {"day": ctx.end, "level": level_name(figures.REGION_LEVEL).lower()},
        columns=summary_columns,
        empty_text=_("No such area was open on %(day)s.") % {"day": ctx.end},
    )
    for row in by_region:
        values = {"label": ctx.region(row["c_region"]), "pcode": row["c_region"] or ""}
        for key, *_rest in groups:
            values[f"{key}_count"] = row[f"{key}_count"]
            values[f"{key}_remaining"] = m2(row[f"{key}_remaining"])
        summary.rows.append(Row(values))
    with_total(summary)
    counted = Counted(
        form=form,
        figure=summary.title,
        record_type=record_label(HazardArea),
        describe=describe_hazard(),
    )
    add_records(
        counted,
        ((pk, (region, tuple(sorted(keys)))) for pk, (region, keys) in sorted(listed.items())),
        lambda key: " · ".join([ctx.region(key[0]), *(group_titles[k] for k in key[1])]),
    )
    summary.counted = [counted]
    return [summary, *lists]


def _status_today(row: dict, statuses: dict) -> str:
    status = row.get("status_now")
    if status is None or status == HazardArea.HazardStatus.OPEN:
        return str(statuses[HazardArea.HazardStatus.OPEN])
    day = row.get("status_on")
    return f"{statuses.get(status, status)} ({day.isoformat()})" if day else str(statuses.get(status, status))


# --- Land release ---------------------------------------------------------------------------------------


RELEASE_COLUMNS = (
    ("area_cancelled_m2", "cancelled"),
    ("area_reduced_m2", "reduced"),
    ("area_cleared_m2", "cleared"),
)


def release_columns(first: list[Column]) -> list[Column]:
    return [
        *first,
        Column("cancelled", _("Cancelled by non-technical survey (m²)"), M2),
        Column("reduced", _("Reduced by technical survey (m²)"), M2),
        Column("cleared", _("Cleared (m²)"), M2),
        Column("released", _("Released in all (m²)"), M2),
        Column("released_ha", _("Released in all (ha)"), HA),
        Column("count", _("Activities")),
    ]


def release_values(row: dict) -> dict:
    values = {key: m2(row[measure]) for measure, key in RELEASE_COLUMNS}
    released = sum(row[measure] or 0 for measure, _key in RELEASE_COLUMNS)
    return {**values, "released": m2(released), "released_ha": ha(released), "count": row["count"]}


def release_by_region_table(ctx: Context, activities, *, form: str, key: str, title: str, empty_text: str) -> Table:
    table = Table(key=key, title=title, columns=release_columns(region_columns()), empty_text=empty_text)
    for row in figures.release_by_region(activities):
        table.rows.append(
            Row({"label": ctx.region(row["admin_area"]), "pcode": row["admin_area"] or "", **release_values(row)})
        )
    with_total(table)
    table.counted = [counted_from(
        activities.annotate(c_region=area_pcode("admin_area", figures.REGION_LEVEL)),
        form=form, figure=title, record_type=record_label(LandReleaseActivity), under=["c_region"],
        label=lambda key: ctx.region(key[0]), describe=describe_activity(),
    )]  # fmt: skip
    return table


# --- Items destroyed ------------------------------------------------------------------------------------------


def items_tables(
    ctx: Context, *, form: str, prefix: str, categories: Sequence[tuple[str, str, str]], first_number: int = 1
) -> list[Table]:
    """One table per category (category, title, what an empty table says): quantity destroyed by
    model, from one query."""
    labels = dict(OrdnanceCategory.choices)
    items = figures.items_destroyed(ctx.user, ctx.year, [category for category, _title, _empty in categories])
    rows = figures.items_by_category_and_model(items)
    columns = [
        Column("model", _("Model"), TEXT),
        Column("quantity", _("Destroyed")),
        Column("items", _("Records of items")),
    ]
    tables = []
    for number, (category, title, empty_text) in enumerate(categories, start=first_number):
        table = Table(
            key=f"{prefix}.{category}", title=f"{prefix}.{number} {title}", columns=columns, empty_text=empty_text
        )
        for row in rows:
            if row["category"] == category:
                table.rows.append(
                    Row(
                        {
                            "model": row["model"] or _("Model not recorded"),
                            "quantity": row["quantity"],
                            "items": row["items"],
                        }
                    )
                )
        tables.append(with_total(table, "model"))
    counted = counted_from(
        items.annotate(c_model=F("ordnance_type__model")),
        form=form, figure="; ".join(table.title for table in tables),
        record_type=record_label(ItemFound), under=["category", "c_model"],
        label=lambda key: f"{labels.get(key[0], key[0])} · {key[1] or _('Model not recorded')}",
        describe=describe_item(),
    )  # fmt: skip
    for table in tables:
        table.counted = [counted]
    return tables


# --- Risk education and marking --------------------------------------------------------------------------------


def risk_education_table(ctx: Context, *, form: str, key: str, title: str) -> Table:
    sessions = figures.risk_education_sessions(ctx.user, ctx.year)
    columns = [
        *region_columns(),
        Column("count", _("Sessions")),
        Column("girls", _("Girls")),
        Column("boys", _("Boys")),
        Column("women", _("Women")),
        Column("men", _("Men")),
        Column("beneficiaries", _("People reached")),
        Column("with_disability", _("Of whom with a disability")),
    ]
    table = Table(
        key=key, title=title, columns=columns,
        empty_text=_("No risk education session is recorded in %(year)s.") % {"year": ctx.year},
    )  # fmt: skip
    for row in figures.risk_education_by_region(sessions):
        table.rows.append(
            Row({"label": ctx.region(row["admin_area"]), "pcode": row["admin_area"] or "",
                 **{c.key: row[c.key] or 0 for c in columns[2:]}})
        )  # fmt: skip
    with_total(table)
    table.counted = [counted_from(
        sessions.annotate(c_region=area_pcode("admin_area", figures.REGION_LEVEL)),
        form=form, figure=title, record_type=record_label(RiskEducationSession), under=["c_region"],
        label=lambda k: ctx.region(k[0]), describe=describe_session(),
    )]  # fmt: skip
    return table


def marking_table(ctx: Context, *, form: str, key: str, title: str) -> Table:
    activities = figures.marking_activities(ctx.user, ctx.year)
    table = Table(
        key=key, title=title, columns=[*region_columns(), Column("count", _("Marking activities"))],
        empty_text=_("No marking activity is recorded in %(year)s.") % {"year": ctx.year},
    )  # fmt: skip
    for row in figures.marking_by_region(activities):
        table.rows.append(
            Row({"label": ctx.region(row["admin_area"]), "pcode": row["admin_area"] or "", "count": row["count"]})
        )
    with_total(table)
    table.counted = [counted_from(
        activities.annotate(c_region=area_pcode("admin_area", figures.REGION_LEVEL)),
        form=form, figure=title, record_type=record_label(LandReleaseActivity), under=["c_region"],
        label=lambda k: ctx.region(k[0]), describe=describe_activity(),
    )]  # fmt: skip
    return table


# --- Casualties and victim assistance ---------------------------------------------------------------------------


def sadd_key(sex: str, age_group: str) -> str:
    """Women, men, girls, boys (a child is under 18), or what is unknown of them."""
    if age_group == ADULT:
        return {Sex.FEMALE: "women", Sex.MALE: "men"}.get(sex, "adults_sex_unknown")
    if age_group == CHILD:
        return {Sex.FEMALE: "girls", Sex.MALE: "boys"}.get(sex, "children_sex_unknown")
    return "age_unknown"


def sadd_labels() -> dict[str, str]:
    return {
        "women": _("Women"),
        "men": _("Men"),
        "adults_sex_unknown": _("Adults, sex unknown"),
        "girls": _("Girls"),
        "boys": _("Boys"),
        "children_sex_unknown": _("Children, sex unknown"),
        "age_unknown": _("Age unknown"),
    }


def outcome_columns(first: str) -> list[Column]:
    return [
        Column("label", first, TEXT),
        Column("killed", _("Killed")),
        Column("injured", _("Injured")),
        Column("total", _("Casualties")),
    ]


def outcome_table(key: str, title: str, first: str, keys: dict[str, str], counts: dict, empty_text: str) -> Table:
    table = Table(key=key, title=title, columns=outcome_columns(first), empty_text=empty_text)
    if any(counts.values()):
        for value, label in keys.items():
            killed, injured = counts.get((value, KILLED), 0), counts.get((value, INJURED), 0)
            table.rows.append(Row({"label": label, "killed": killed, "injured": injured, "total": killed + injured}))
        with_total(table)
    return table


def casualty_tables(ctx: Context, casualties, *, form: str, prefix: str, devices: bool, empty_text: str) -> list[Table]:
    """Killed and injured by sex and age, civilian status and (if `devices`) device category, from one
    query; a child is under 18 (DOMAIN.md)."""
    by: dict[str, dict] = {"sadd": defaultdict(int), "status": defaultdict(int), "device": defaultdict(int)}
    for row in figures.casualty_counts(casualties):
        outcome, count = row["outcome"], row["count"]
        by["sadd"][(sadd_key(row["sex"], row["age_group"]), outcome)] += count
        by["status"][(row["civilian_status"], outcome)] += count
        by["device"][(row["device_category"], outcome)] += count
    statuses = {value: str(label) for value, label in Casualty.CivilianStatus.choices}
    tables = [
        outcome_table(f"{prefix}.sadd", f"{prefix}.1 " + _("Casualties by sex and age"), _("Sex and age"),
                       sadd_labels(), by["sadd"], empty_text),
        outcome_table(f"{prefix}.status", f"{prefix}.2 " + _("Casualties by civilian or military status"),
                       _("Status"), statuses, by["status"], empty_text),
    ]  # fmt: skip
    if devices:
        categories = {value: str(label) for value, label in OrdnanceCategory.choices}
        tables.append(
            outcome_table(f"{prefix}.device", f"{prefix}.3 " + _("Casualties by device category"), _("Device"),
                           categories, by["device"], empty_text)
        )  # fmt: skip
        tables[-1].notes.append(
            _("Improvised anti-personnel mines are counted apart from other IEDs (command-operated, remote): they fall "
              "under the Convention (APMBC Art. 2).")
        )  # fmt: skip
    listed, fields = figures.casualty_listing(casualties)
    sadd, outcomes = sadd_labels(), dict(Casualty.Outcome.choices)
    categories = dict(OrdnanceCategory.choices)
    counted = counted_from(
        listed, form=form, figure="; ".join(table.title for table in tables),
        record_type=record_label(Casualty), under=fields,
        label=lambda k: " · ".join(
            [str(outcomes.get(k[0], k[0])), sadd[sadd_key(k[1], k[2])], statuses.get(k[3], k[3]),
             *([str(categories.get(k[4], k[4]))] if devices else [])]
        ),
        describe=describe_casualty(),
    )  # fmt: skip
    for table in tables:
        table.counted = [counted]
    return tables


def services_table(ctx: Context, services, *, form: str, key: str, title: str, empty_text: str) -> Table:
    counts = figures.services_by_type(services)
    table = Table(
        key=key, title=title, empty_text=empty_text,
        columns=[Column("label", _("Service"), TEXT), Column("count", _("Services started")),
                 Column("survivors", _("Survivors reached"))],
    )  # fmt: skip
    if counts["count"]:
        for value, label in AssistanceService.ServiceType.choices:
            table.rows.append(
                Row(
                    {
                        "label": str(label),
                        "count": counts[f"s_{value}_count"],
                        "survivors": counts[f"s_{value}_survivors"],
                    }
                )
            )
        table.rows.append(
            Row({"label": _("Total"), "count": counts["count"], "survivors": counts["survivors"]}, total=True)
        )
        table.notes.append(_("A survivor who received several kinds of service counts once in the total."))
    types = dict(AssistanceService.ServiceType.choices)
    table.counted = [counted_from(
        services, form=form, figure=title, record_type=record_label(AssistanceService),
        under=["service_type"], label=lambda k: str(types.get(k[0], k[0])), describe=describe_service(),
    )]  # fmt: skip
    return table
