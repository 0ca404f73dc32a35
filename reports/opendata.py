"""Open data: aggregated figures of approved records as CSV files with HXL hashtags, for open-data
portals such as HDX (DOMAIN.md, "The people": the public, donors and researchers read aggregated
statistics and open data only; "Reports": open data with HXL hashtags, aggregated, without personal
data).

Each data set is one statistics view of the API (`core.api.statistics.StatisticsView`), asked for
its groups through the view's own `answer`, as `/api/v1/statistics/...` and the dashboard ask it:
the same records, filter set, approved-only rule and summary tables, so the figures are the
endpoints' own. The grouped rows are pivoted here into one line per year and région (a few hundred
lines). Nothing finer than a count or a sum leaves: no identity, no organisation, no record.

Hashtags follow the HXL 1.1 dictionary (hxlstandard.org): `#date+year`, `#adm1+code` and
`#adm1+name`; `#affected` with `+killed`, `+injured` and the sex-and-age attributes `+f`, `+m`,
`+children`, `+adults` for casualties; `#reached` for the people risk education and victim
assistance reached; `#service` for the kind of service, `#item` for the kind of device. What the
dictionary has no hashtag for (incidents, sessions, square metres released) is an
`#indicator+...+num`, as HXL advises for counts of things other than people.
"""

import datetime
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import TextChoices
from django.http import QueryDict
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from assistance.api.statistics import AssistanceStatisticsView
from assistance.models import AssistanceService
from core import registry
from core.api.statistics import StatisticsView
from core.models import RecordStatus
from core.policy import may_read_statistics
from education.api.statistics import RiskEducationStatisticsView
from hazards.api.statistics import LandReleaseStatisticsView
from incidents.api.statistics import CasualtyStatisticsView, IncidentStatisticsView
from incidents.models import Casualty, Sex
from reference.country import level_name
from reference.models import AdministrativeArea, OrdnanceCategory, area_name
from reports.exports import neutralise

REGION_LEVEL = AdministrativeArea.Level.ADMIN1


def may_read_open_data(user) -> bool:
    """Anyone when the installation publishes its open data (setting `OPEN_DATA_PUBLIC`), else those
    who read statistics: the right `StatisticsView.get` asks for, or the authority."""
    if getattr(settings, "OPEN_DATA_PUBLIC", False):
        return True
    return may_read_statistics(user)


# --- What a data set is -------------------------------------------------------------------------


def _with_level(text: str, *, lower: bool = False) -> str:
    """`text` (marked with gettext_noop) in the active language, its `%(level)s` the name of the first
    administrative level (Région in Mali) from the country's manifest."""
    level = level_name(REGION_LEVEL)
    return _(text) % {"level": level.lower() if lower else level}


# Headings and titles are read at each request, in its language.
with_level = lazy(_with_level, str)


@dataclass(frozen=True)
class Column:
    """A column of the file: its key in the rows, its heading, its HXL hashtag, and its kind:
    "text" (passed through `neutralise`), "int" (a count) or "m2" (an area in square metres)."""

    key: str
    label: str | Promise
    hxl: str
    kind: str = "int"


@dataclass(frozen=True)
class Dataset:
    """A file: the statistics view it reads, the groups asked of it, and how its grouped rows
    become the file's lines (`table(rows, region_names)`)."""

    name: str
    title: str | Promise
    description: str | Promise
    view: type[StatisticsView]
    group_by: tuple[str, ...]
    columns: tuple[Column, ...]
    table: Callable[[list[dict], Mapping[str, str]], list[dict]]
    admin_area_level: int | None = None


@dataclass(frozen=True)
class OpenData:
    """A data set's lines for a request, and how fresh their figures are, as its statistics view says:
    `as_of` the summary's last refresh (or the moment the records were counted), `up_to_date` False
    while records changed since that refresh."""

    dataset: Dataset
    rows: list[dict]
    as_of: datetime.datetime
    up_to_date: bool


YEAR = Column("year", gettext_lazy("Year"), "#date+year")
REGION = (
    Column("pcode", with_level(gettext_noop("%(level)s P-code")), "#adm1+code", "text"),
    Column("region", lazy(level_name, str)(REGION_LEVEL), "#adm1+name", "text"),
)


def _region(pcode: str | None, names: Mapping[str, str]) -> tuple[str, str]:
    """A région's P-code and name; a record placed in the country alone has neither."""
    if pcode is None:
        return "", _("Not placed in an area")
    return pcode, names.get(pcode, pcode)


def _label(choices: type[TextChoices], value: str | None) -> str:
    if value is None:
        return _("Not given")
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _by_year_and_region(lines) -> list[dict]:
    # Records placed in no région come last in their year.
    return sorted(lines, key=lambda line: (line["year"], line["pcode"] == "", line["pcode"]))


# --- Casualties (Landmine Monitor table; IMAS 10.60) --------------------------------------------

OUTCOMES = {Casualty.Outcome.KILLED: "killed", Casualty.Outcome.INJURED: "injured"}
CHILD, ADULT = Casualty.AgeGroup.CHILD, Casualty.AgeGroup.ADULT
SEX_AND_AGE = {
    (Sex.FEMALE, ADULT): "women",
    (Sex.MALE, ADULT): "men",
    (Sex.FEMALE, CHILD): "girls",
    (Sex.MALE, CHILD): "boys",
}
CIVILIAN_STATUSES = {
    Casualty.CivilianStatus.CIVILIAN: "civilians",
    Casualty.CivilianStatus.MILITARY: "military",
    Casualty.CivilianStatus.DEMINER: "deminers",
    Casualty.CivilianStatus.UNKNOWN: "status_unknown",
}
CASUALTY_COUNTS = ("killed", "injured", "women", "men", "girls", "boys", "sex_age_unknown", "civilians", "military",
                   "deminers", "status_unknown", "total")  # fmt: skip


def casualty_table(rows: list[dict], names: Mapping[str, str]) -> list[dict]:
    """Casualties per year and région: killed and injured; women, men, girls, boys (a child is under
    18, DOMAIN.md) or sex or age unknown; civilians, military, deminers or status unknown. Each
    disaggregation adds up to the total."""
    lines: dict[tuple, dict] = {}
    for row in rows:
        key = (row["year"], row["admin_area"])
        line = lines.get(key)
        if line is None:
            pcode, region = _region(row["admin_area"], names)
            line = lines[key] = {"year": row["year"], "pcode": pcode, "region": region,
                                 **dict.fromkeys(CASUALTY_COUNTS, 0)}  # fmt: skip
        count = row["count"]
        line[OUTCOMES[row["outcome"]]] += count
        line[SEX_AND_AGE.get((row["sex"], row["age_group"]), "sex_age_unknown")] += count
        line[CIVILIAN_STATUSES.get(row["civilian_status"], "status_unknown")] += count
        line["total"] += count
    return _by_year_and_region(lines.values())


def incident_table(rows: list[dict], names: Mapping[str, str]) -> list[dict]:
    """Incidents per year, région and device category (improvised AP mines apart from other IEDs,
    APMBC Art. 2)."""
    lines = []
    for row in rows:
        pcode, region = _region(row["admin_area"], names)
        lines.append(
            {"year": row["year"], "pcode": pcode, "region": region, "device": row["device_category"] or "",
             "device_name": _label(OrdnanceCategory, row["device_category"]), "incidents": row["count"]}
        )  # fmt: skip
    return sorted(lines, key=lambda line: (line["year"], line["pcode"] == "", line["pcode"], line["device"]))


def _m2(value) -> float:
    return round(value or 0, 1)


def land_release_table(rows: list[dict], names: Mapping[str, str]) -> list[dict]:
    """Land released per year and région by cancellation (non-technical survey), reduction
    (technical survey) and clearance, in m² (IMAS 07.11, 08.20, 09.10; APMBC Art. 7 Form F)."""
    lines = []
    for row in rows:
        pcode, region = _region(row["admin_area"], names)
        cancelled, reduced, cleared = (_m2(row[f"area_{way}_m2"]) for way in ("cancelled", "reduced", "cleared"))
        lines.append(
            {"year": row["year"], "pcode": pcode, "region": region, "activities": row["count"],
             "cancelled": cancelled, "reduced": reduced, "cleared": cleared,
             "released": round(cancelled + reduced + cleared, 1)}
        )  # fmt: skip
    return _by_year_and_region(lines)


RISK_EDUCATION_COUNTS = ("girls", "boys", "women", "men", "with_disability", "beneficiaries")


def risk_education_table(rows: list[dict], names: Mapping[str, str]) -> list[dict]:
    """Risk education sessions per year and région and the people they reached, by sex and age and
    with a disability (IMAS 12.10: sex-and-age-disaggregated data)."""
    lines = []
    for row in rows:
        pcode, region = _region(row["admin_area"], names)
        lines.append(
            {"year": row["year"], "pcode": pcode, "region": region, "sessions": row["count"],
             **{key: row[key] or 0 for key in RISK_EDUCATION_COUNTS}}
        )  # fmt: skip
    return _by_year_and_region(lines)


def assistance_table(rows: list[dict], names: Mapping[str, str]) -> list[dict]:
    """Victim assistance services per year and kind, and the survivors each kind reached (IMAS
    13.10); a survivor given several kinds of service counts under each."""
    lines = [
        {"year": row["year"], "service": row["service_type"] or "",
         "service_name": _label(AssistanceService.ServiceType, row["service_type"]), "services": row["count"],
         "survivors": row["survivors"]}
        for row in rows
    ]  # fmt: skip
    return sorted(lines, key=lambda line: (line["year"], line["service"]))


DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            name="casualties",
            title=with_level(gettext_noop("Casualties by year and %(level)s"), lower=True),
            description=gettext_lazy(
                "Casualties of approved incidents, killed and injured, by sex and age (a child is under 18) and "
                "by civilian status. No person is identified."
            ),
            view=CasualtyStatisticsView,
            group_by=("year", "admin_area", "outcome", "sex", "age_group", "civilian_status"),
            admin_area_level=REGION_LEVEL,
            columns=(
                YEAR,
                *REGION,
                Column("killed", gettext_lazy("Killed"), "#affected+killed"),
                Column("injured", gettext_lazy("Injured"), "#affected+injured"),
                Column("women", gettext_lazy("Women"), "#affected+f+adults"),
                Column("men", gettext_lazy("Men"), "#affected+m+adults"),
                Column("girls", gettext_lazy("Girls"), "#affected+f+children"),
                Column("boys", gettext_lazy("Boys"), "#affected+m+children"),
                Column("sex_age_unknown", gettext_lazy("Sex or age unknown"), "#affected+sex_age_unknown"),
                Column("civilians", gettext_lazy("Civilians"), "#affected+civilians"),
                Column("military", gettext_lazy("Military or security forces"), "#affected+military"),
                Column("deminers", gettext_lazy("Deminers"), "#affected+deminers"),
                Column("status_unknown", gettext_lazy("Civilian status unknown"), "#affected+status_unknown"),
                Column("total", gettext_lazy("Casualties"), "#affected+total"),
            ),
            table=casualty_table,
        ),
        Dataset(
            name="incidents",
            title=with_level(gettext_noop("Incidents by year, %(level)s and device"), lower=True),
            description=gettext_lazy(
                "Approved incidents by the category of the device; improvised anti-personnel mines are counted "
                "apart from other IEDs."
            ),
            view=IncidentStatisticsView,
            group_by=("year", "admin_area", "device_category"),
            admin_area_level=REGION_LEVEL,
            columns=(
                YEAR,
                *REGION,
                Column("device", gettext_lazy("Device category code"), "#item+type+code", "text"),
                Column("device_name", gettext_lazy("Device category"), "#item+type+name", "text"),
                Column("incidents", gettext_lazy("Incidents"), "#indicator+incidents+num"),
            ),
            table=incident_table,
        ),
        Dataset(
            name="land-release",
            title=with_level(gettext_noop("Land released by year and %(level)s (m²)"), lower=True),
            description=gettext_lazy(
                "Approved land release activities, by the year they started: square metres cancelled by "
                "non-technical survey, reduced by technical survey, cleared, and released in all."
            ),
            view=LandReleaseStatisticsView,
            group_by=("year", "admin_area"),
            admin_area_level=REGION_LEVEL,
            columns=(
                YEAR,
                *REGION,
                Column("activities", gettext_lazy("Activities"), "#indicator+activities+num"),
                Column("cancelled", gettext_lazy("Cancelled (m²)"), "#indicator+land_cancelled+m2+num", "m2"),
                Column("reduced", gettext_lazy("Reduced (m²)"), "#indicator+land_reduced+m2+num", "m2"),
                Column("cleared", gettext_lazy("Cleared (m²)"), "#indicator+land_cleared+m2+num", "m2"),
                Column("released", gettext_lazy("Released (m²)"), "#indicator+land_released+m2+num", "m2"),
            ),
            table=land_release_table,
        ),
        Dataset(
            name="risk-education",
            title=with_level(gettext_noop("Risk education by year and %(level)s"), lower=True),
            description=gettext_lazy(
                "Approved explosive ordnance risk education sessions and the people they reached, by sex and "
                "age, of whom with a disability."
            ),
            view=RiskEducationStatisticsView,
            group_by=("year", "admin_area"),
            admin_area_level=REGION_LEVEL,
            columns=(
                YEAR,
                *REGION,
                Column("sessions", gettext_lazy("Sessions"), "#indicator+sessions+num"),
                Column("girls", gettext_lazy("Girls"), "#reached+f+children"),
                Column("boys", gettext_lazy("Boys"), "#reached+m+children"),
                Column("women", gettext_lazy("Women"), "#reached+f+adults"),
                Column("men", gettext_lazy("Men"), "#reached+m+adults"),
                Column("with_disability", gettext_lazy("Of whom with a disability"), "#reached+disabled"),
                Column("beneficiaries", gettext_lazy("People reached"), "#reached+total"),
            ),
            table=risk_education_table,
        ),
        Dataset(
            name="victim-assistance",
            title=gettext_lazy("Victim assistance by year and service"),
            description=gettext_lazy(
                "Approved victim assistance services by the year they started and their kind, and the survivors "
                "each kind reached; a survivor may receive several kinds of service."
            ),
            view=AssistanceStatisticsView,
            group_by=("year", "service_type"),
            columns=(
                YEAR,
                Column("service", gettext_lazy("Service code"), "#service+code", "text"),
                Column("service_name", gettext_lazy("Service"), "#service+name", "text"),
                Column("services", gettext_lazy("Services"), "#indicator+services+num"),
                Column("survivors", gettext_lazy("Survivors reached"), "#reached+survivors"),
            ),
            table=assistance_table,
        ),
    )
}


# --- Reading the figures ------------------------------------------------------------------------


def open_data_filters(
    *,
    year: int | None = None,
    date_after: datetime.date | None = None,
    date_before: datetime.date | None = None,
    admin_area: str | None = None,
) -> dict[str, str]:
    """The statistics views' filter parameters for a request's choices: a year is its first and
    last day (the summary tables answer whole months)."""
    filters = {}
    if year is not None:
        date_after, date_before = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if date_after is not None:
        filters["date_after"] = date_after.isoformat()
    if date_before is not None:
        filters["date_before"] = date_before.isoformat()
    if admin_area:
        filters["admin_area"] = admin_area
    return filters


class InvalidFilters(ValueError):
    """A filter the statistics view's filter set refuses; `args[0]` holds its field errors."""


def _records(view: StatisticsView, user):
    """The records the view counts for this reader: its own scope (core.selectors) for a user, as
    the statistics endpoints count them; for an anonymous reader of public open data, the approved
    national records (DOMAIN.md, "The people": the public reads aggregated approved data only)."""
    if getattr(user, "is_authenticated", False):
        return view.records()
    owner = registry.get(view.model).owner_path
    return view.model.objects.filter(**{f"{owner}status": RecordStatus.APPROVED})


def open_data_rows(dataset: Dataset, *, request, filters: Mapping[str, str]) -> OpenData:
    """The data set's lines for this request's reader and filters, read through its statistics
    view's `answer` exactly as `GET /api/v1/statistics/...` reads them (approved records only)."""
    view = dataset.view()
    view.request = request
    data = QueryDict(mutable=True)
    for name, value in filters.items():
        if name in view.filters:
            data[name] = value
    filterset = view.filterset_class(data=data, queryset=_records(view, request.user), request=request)
    if not filterset.is_valid():
        raise InvalidFilters(filterset.errors)
    rows, freshness = view.answer(
        filterset,
        group_by=view.grouping(list(dataset.group_by)),
        include_submitted=False,
        admin_area_level=dataset.admin_area_level,
    )
    names = region_names() if dataset.admin_area_level else {}
    return OpenData(
        dataset=dataset,
        rows=dataset.table(rows, names),
        as_of=freshness["as_of"],
        up_to_date=freshness["up_to_date"],
    )


def region_names() -> dict[str, str]:
    """Every first-level area's name by P-code, in the active language, from its latest boundary
    version: records keep the version they were placed in, and are counted by P-code."""
    names: dict[str, str] = {}
    areas = AdministrativeArea.objects.filter(level=REGION_LEVEL).order_by("valid_from")
    for area in areas.only("pcode", "name_fr", "name_en", "names"):
        names[area.pcode] = area_name(area)
    return names


# --- The file -----------------------------------------------------------------------------------


def csv_lines(data: OpenData) -> Iterator[list]:
    """The file's lines: headings in the active language, HXL hashtags, then the figures. A text
    cell that a spreadsheet would run as a formula is neutralised (reports.exports)."""
    columns = data.dataset.columns
    yield [str(column.label) for column in columns]
    yield [column.hxl for column in columns]
    for row in data.rows:
        yield [neutralise(str(row[column.key])) if column.kind == "text" else row[column.key] for column in columns]


def csv_filename(
    dataset: Dataset,
    *,
    year: int | None = None,
    date_after: datetime.date | None = None,
    date_before: datetime.date | None = None,
    admin_area: str | None = None,
) -> str:
    """E.g. `ml-casualties-2021-ML05.csv`: the country, the data set and the selection."""
    parts = [settings.COUNTRY_ISO.lower(), dataset.name]
    if year is not None:
        parts.append(str(year))
    if date_after is not None:
        parts.append(f"from-{date_after}")
    if date_before is not None:
        parts.append(f"to-{date_before}")
    if admin_area:
        parts.append(admin_area)
    # Only what every file system and the Content-Disposition header take as it is.
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "-".join(parts)) + ".csv"
