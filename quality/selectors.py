"""Data-quality report: records that break GICHD's geometry checks, lack what the official
figures need, or were reclassified by the Mali rule (DOMAIN.md, "Geometry quality" and
"Explosive ordnance").

Every check is one SQL query over the records the user may see (`core.selectors.records_visible`):
the database may hold 100,000 hazard polygons and 1,000,000 incidents, so nothing here loops
over a table in Python. Only the first `limit` findings of a check are read and formatted.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.models import CommunityReport
from core.models import DatePrecision, RecordStatus
from core.selectors import records_visible
from education.models import RiskEducationSession
from hazards.models import ContaminationType, HazardArea, ItemFound, LandClass, LandReleaseActivity
from incidents.models import Casualty, Incident, Sex
from incidents.selectors import incidents_reclassified
from quality.expressions import (
    Covers,
    Equal,
    GeographyDistance,
    IsValidReason,
    LongestVertexJump,
    Normalize,
    ThinnestPart,
    ValidOrMadeValid,
)
from reference.models import AdministrativeArea, OrdnanceCategory
from reference.selectors import country_area

# GICHD geocheck "sliver": 4πA/P² is 1 for a disc, 0.79 for a square and 0.03 for a 1:100
# strip. Below 0.01 (a strip of about 1:300, 3 m by 1 km) a part is an artefact of
# digitising or of cutting one polygon with another, not an area a survey team marked.
SLIVER_MAX_THINNESS = 0.01
# Below 5 m² (about 2 m by 2 m) no team marks a hazardous area: such a part comes from a
# vertex typed twice or a truncated decimal.
SLIVER_MIN_AREA_M2 = 5.0
# GICHD geocheck "absurd distance between consecutive vertices": Mali's hazardous areas span
# at most a few kilometres, so a 20 km edge is a mistyped or swapped coordinate.
VERTEX_JUMP_MIN_M = 20_000.0
# Findings listed per check on the page; the counts are always complete.
DEFAULT_LIMIT = 200

GEOMETRY = "geometry"
REQUIRED_FIELDS = "required_fields"
RECLASSIFICATION = "reclassification"
GROUPS = {
    GEOMETRY: gettext_lazy("Geometry (GICHD geocheck rules)"),
    REQUIRED_FIELDS: gettext_lazy("Fields the official figures need"),
    RECLASSIFICATION: gettext_lazy("Reclassifications (Mali rule)"),
}

ACTIVITY_POLYGONS = ("cancelled_geometry", "reduced_geometry", "cleared_geometry")


# --- Geometry -------------------------------------------------------------------------------


def hazard_areas_invalid(*, user) -> QuerySet[HazardArea]:
    """Hazardous areas whose polygon fails ST_IsValid, annotated with PostGIS's `invalid_reason`.

    A ring with fewer than 3 distinct vertices fails it too ("Too few points").
    """
    return (
        records_visible(HazardArea.objects.all(), user)
        .filter(geometry__isvalid=False)
        .annotate(invalid_reason=IsValidReason("geometry"))
    )


def land_release_activities_invalid(*, user) -> QuerySet[LandReleaseActivity]:
    """Activities with an invalid cancelled, reduced or cleared polygon; `<field>_reason` for each."""
    invalid = Q()
    for name in ACTIVITY_POLYGONS:
        invalid |= Q(**{f"{name}__isvalid": False})
    return (
        records_visible(LandReleaseActivity.objects.all(), user)
        .filter(invalid)
        .annotate(**{f"{name}_reason": IsValidReason(name) for name in ACTIVITY_POLYGONS})
    )


def hazard_areas_sliver(*, user) -> QuerySet[HazardArea]:
    """Hazardous areas with a sliver part, annotated `sliver = [thinness, area_m2, part]`."""
    return (
        records_visible(HazardArea.objects.all(), user)
        .annotate(sliver=ThinnestPart("geometry", min_area_m2=SLIVER_MIN_AREA_M2, max_thinness=SLIVER_MAX_THINNESS))
        .filter(sliver__isnull=False)
    )


def _repeats(queryset: QuerySet, key: list) -> QuerySet:
    """Records of `queryset` that repeat the `key` of one recorded before (lower id).

    One sort ranks every record in its group; the outer query then sorts only the repeats.
    """
    ranked = queryset.annotate(rank_in_group=Window(RowNumber(), partition_by=key, order_by=F("id").asc()))
    return queryset.filter(id__in=ranked.filter(rank_in_group__gt=1).values("id"))


def _earlier_references(queryset: QuerySet, *conditions) -> ArraySubquery:
    return ArraySubquery(queryset.filter(*conditions, id__lt=OuterRef("id")).order_by("id").values("reference"))


def hazard_areas_duplicate(*, user) -> QuerySet[HazardArea]:
    """Hazardous areas whose polygon repeats one recorded before (lower id), annotated with
    `same_as`: the references of the earlier ones.

    Equality is on normalised geometries (same vertices, whatever the first vertex, the
    direction or the order of parts): it needs no GEOS predicate, which could fail on an
    invalid polygon, and groups 100,000 polygons by sorting once.
    """
    visible = records_visible(HazardArea.objects.all(), user)
    same_polygon = (
        # Equal bounding boxes first: the spatial index finds the candidates.
        Q(geometry__same_as=OuterRef("geometry")),
        Equal(Normalize("geometry"), Normalize(OuterRef("geometry"))),
    )
    return _repeats(visible, [Normalize("geometry")]).annotate(same_as=_earlier_references(visible, *same_polygon))


def incidents_duplicate(*, user) -> QuerySet[Incident]:
    """Incidents at exactly the same point on the same date as one recorded before (lower
    id), annotated with `same_as`: the references of the earlier ones.

    Only dates known to the day are compared: two incidents known only by the same year (or
    month) at a village's point did not happen on the same day, and an old register of such
    records would otherwise be listed whole. The duplicate finder weighs them
    (incidents.reconciliation).
    """
    visible = records_visible(Incident.objects.filter(date_precision=DatePrecision.DAY), user)
    same_place_and_date = (
        Q(incident_date=OuterRef("incident_date")),
        Q(location__same_as=OuterRef("location")),
        Equal(F("location"), OuterRef("location")),
    )
    return _repeats(visible, [F("incident_date"), F("location")]).annotate(
        same_as=_earlier_references(visible, *same_place_and_date)
    )


def hazard_areas_vertex_jump(*, user) -> QuerySet[HazardArea]:
    """Hazardous areas with consecutive vertices more than VERTEX_JUMP_MIN_M apart on the
    spheroid, annotated `jump = [metres, jumps, part, ring, vertex]` (the longest one)."""
    return (
        records_visible(HazardArea.objects.all(), user)
        .annotate(jump=LongestVertexJump("geometry", min_metres=VERTEX_JUMP_MIN_M))
        .filter(jump__isnull=False)
    )


def _country_geometry(country: AdministrativeArea):
    # A subquery: the boundary stays in the database and PostGIS prepares it once per query.
    return Subquery(AdministrativeArea.objects.filter(pk=country.pk).values("geometry")[:1])


def _outside(queryset: QuerySet, country: AdministrativeArea, name: str, *, polygon: bool) -> QuerySet:
    """Records whose `name` geometry the country does not cover, with `distance_m` to it."""
    boundary = _country_geometry(country)
    geometry = ValidOrMadeValid(name) if polygon else F(name)
    return (
        queryset.alias(inside=Covers(boundary, geometry))
        .filter(inside=False)
        .annotate(distance_m=GeographyDistance(name, boundary))
    )


def hazard_areas_outside_country(*, user, country: AdministrativeArea) -> QuerySet[HazardArea]:
    return _outside(records_visible(HazardArea.objects.all(), user), country, "geometry", polygon=True)


def incidents_outside_country(*, user, country: AdministrativeArea) -> QuerySet[Incident]:
    return _outside(records_visible(Incident.objects.all(), user), country, "location", polygon=False)


def risk_education_sessions_outside_country(*, user, country: AdministrativeArea) -> QuerySet[RiskEducationSession]:
    return _outside(records_visible(RiskEducationSession.objects.all(), user), country, "location", polygon=False)


def community_reports_outside_country(*, user, country: AdministrativeArea) -> QuerySet[CommunityReport]:
    return _outside(records_visible(CommunityReport.objects.all(), user), country, "location", polygon=False)


def land_release_activities_outside_country(*, user, country: AdministrativeArea) -> QuerySet[LandReleaseActivity]:
    """Activities whose location or a released polygon the country does not cover, annotated
    `<field>_inside` (NULL when the field is empty)."""
    boundary = _country_geometry(country)
    inside = {"location_inside": Covers(boundary, F("location"))}
    inside |= {f"{name}_inside": Covers(boundary, ValidOrMadeValid(name)) for name in ACTIVITY_POLYGONS}
    outside = Q()
    for name in inside:
        outside |= Q(**{name: False})
    return records_visible(LandReleaseActivity.objects.all(), user).annotate(**inside).filter(outside)


# --- Fields the official figures need ----------------------------------------------------------


def incidents_without_casualties(*, user) -> QuerySet[Incident]:
    casualties = Casualty.objects.filter(incident=OuterRef("pk"))
    return records_visible(Incident.objects.all(), user).filter(~Exists(casualties))


def incidents_unknown_device(*, user) -> QuerySet[Incident]:
    return records_visible(Incident.objects.all(), user).filter(device_category=OrdnanceCategory.UNKNOWN)


def hazard_areas_without_contamination_types(*, user) -> QuerySet[HazardArea]:
    return records_visible(HazardArea.objects.all(), user).filter(
        Q(contamination_types=[]) | Q(contamination_types__isnull=True)
    )


def casualties_unknown_sex_and_age(*, user) -> QuerySet[Casualty]:
    """Casualties that no sex-and-age table can place (Landmine Monitor SADD)."""
    # Through the visible incidents' ids, so that whatever hides an incident hides its casualties.
    incidents = records_visible(Incident.objects.all(), user)
    return Casualty.objects.filter(
        incident__in=incidents.values("pk"),
        sex=Sex.UNKNOWN,
        age__isnull=True,
        age_group=Casualty.AgeGroup.UNKNOWN,
    )


def risk_education_sessions_without_beneficiaries(*, user) -> QuerySet[RiskEducationSession]:
    """Direct sessions met people: zero beneficiaries means the counts were not entered (IMAS 12.10 SADD)."""
    return records_visible(RiskEducationSession.objects.all(), user).filter(
        method=RiskEducationSession.Method.DIRECT, girls=0, boys=0, women=0, men=0
    )


def incidents_reclassified_visible(*, user) -> QuerySet[Incident]:
    """The Mali rule's reclassifications (`incidents.selectors.incidents_reclassified`): an
    improvised AV mine set off by a person is recorded as an improvised AP mine (Mine Action
    Review 2025, recommendation to Mali; APMBC Art. 2), and every such case is listed."""
    return records_visible(incidents_reclassified(), user)


def land_release_activities_reclassified_items(*, user) -> QuerySet[LandReleaseActivity]:
    """Activities with items found that the Mali rule reclassified (`reference.ordnance`),
    annotated `reclassified_items`: how many items. Listed by activity, whose page holds its items."""
    items = (
        ItemFound.objects.filter(activity=OuterRef("pk"))
        .exclude(category_reported="")
        .order_by()
        .values("activity")
        .annotate(quantity=Sum("quantity"))
        .values("quantity")
    )
    return (
        records_visible(LandReleaseActivity.objects.all(), user)
        .annotate(reclassified_items=Subquery(items[:1]))
        .filter(reclassified_items__isnull=False)
    )


def community_reports_reclassified(*, user) -> QuerySet[CommunityReport]:
    """Community reports whose suspected item the Mali rule reclassified (`reference.ordnance`)."""
    return records_visible(CommunityReport.objects.exclude(item_category_reported=""), user)


def hazard_areas_reclassified(*, user) -> QuerySet[HazardArea]:
    """Hazardous areas whose person-sensitive improvised AV mines the Mali rule counts as
    improvised AP mines (`reference.ordnance.classify_contamination`)."""
    return records_visible(HazardArea.objects.exclude(contamination_types_reported=[]), user)


# --- The report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    code: str
    record_type: str
    record_id: int
    reference: str
    status: str
    organisation: str
    detail: str

    @property
    def record_type_label(self) -> str:
        return str(_model(self.record_type)._meta.verbose_name)

    @property
    def status_label(self) -> str:
        return str(RecordStatus(self.status).label) if self.status in RecordStatus.values else self.status

    @property
    def admin_url(self) -> str:
        meta = _model(self.record_type)._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[self.record_id])


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


@dataclass(frozen=True)
class Source:
    """One record type a check looks at: the scoped queryset, the values to read, the detail."""

    queryset: Callable[..., QuerySet]
    detail: Callable[[dict[str, Any]], str]
    values: tuple[str, ...] = ()
    reference: str = "reference"
    status: str = "status"
    organisation: str = "organisation__acronym"
    needs_country: bool = False


@dataclass(frozen=True)
class Check:
    code: str
    group: str
    label: str
    description: str
    sources: tuple[Source, ...]
    # Figures in the description, formatted in the reader's language when the report runs.
    description_args: Callable[[], dict[str, str]] | None = None


@dataclass
class CheckResult:
    code: str
    group: str
    label: str
    description: str
    # None when the check could not run (the country boundary is not loaded).
    count: int | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.count is not None and self.count > len(self.findings)


def _number(value: float, decimals: int) -> str:
    # number_format cuts the decimals it does not show; round them instead.
    return formats.number_format(round(value, decimals), decimals, force_grouping=True)


def _km(metres: float) -> str:
    return _number(metres / 1000, 1)


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _choice(choices, value) -> str:
    return str(dict(choices).get(value, value))


def _field_label(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _invalid_activity_detail(row: dict[str, Any]) -> str:
    return "; ".join(
        _("%(field)s: %(reason)s") % {"field": _field_label(LandReleaseActivity, name), "reason": row[f"{name}_reason"]}
        for name in ACTIVITY_POLYGONS
        if row[f"{name}_reason"] not in (None, "Valid Geometry")
    )


def _sliver_detail(row: dict[str, Any]) -> str:
    thinness, area, part = row["sliver"]
    return _("Part %(part)d: thinness ratio %(thinness)s, area %(area)s m²") % {
        "part": int(part),
        "thinness": _number(thinness or 0, 4),
        "area": _number(area, 1),
    }


def _jump_detail(row: dict[str, Any]) -> str:
    metres, jumps, part, ring, vertex = row["jump"]
    detail = _("%(distance)s km between vertices %(start)d and %(end)d (part %(part)d, ring %(ring)d)") % {
        "distance": _km(metres),
        "start": int(vertex),
        "end": int(vertex) + 1,
        "part": int(part),
        "ring": int(ring),
    }
    if jumps > 1:
        detail += "; " + _("%(jumps)d edges over %(limit)s km") % {
            "jumps": int(jumps),
            "limit": _number(VERTEX_JUMP_MIN_M / 1000, 0),
        }
    return detail


def _point_outside_detail(row: dict[str, Any]) -> str:
    point = row["location"]
    return _("%(distance)s km from the border (longitude %(lon)s, latitude %(lat)s)") % {
        "distance": _km(row["distance_m"]),
        "lon": _number(point.x, 5),
        "lat": _number(point.y, 5),
    }


def _polygon_outside_detail(row: dict[str, Any]) -> str:
    if row["distance_m"] > 0:
        return _("Entirely outside, %(distance)s km from the border") % {"distance": _km(row["distance_m"])}
    return _("Partly outside the country")


def _activity_outside_detail(row: dict[str, Any]) -> str:
    names = ("location", *ACTIVITY_POLYGONS)
    fields = [_field_label(LandReleaseActivity, name) for name in names if row[f"{name}_inside"] is False]
    return _("Outside the country: %(fields)s") % {"fields": ", ".join(fields)}


def _reclassified_detail(reported: str, counted: str) -> Callable[[dict[str, Any]], str]:
    def detail(row: dict[str, Any]) -> str:
        return _("Reported as %(reported)s, counted as %(counted)s") % {
            "reported": _choice(OrdnanceCategory.choices, row[reported]),
            "counted": _choice(OrdnanceCategory.choices, row[counted]),
        }

    return detail


def _reclassified_items_detail(row: dict[str, Any]) -> str:
    # The rule makes one reclassification only: improvised AV mine to improvised AP mine.
    return _("Items found: %(quantity)s reported as %(reported)s, counted as %(counted)s") % {
        "quantity": _number(row["reclassified_items"], 0),
        "reported": _choice(OrdnanceCategory.choices, OrdnanceCategory.IMPROVISED_AV_MINE),
        "counted": _choice(OrdnanceCategory.choices, OrdnanceCategory.IMPROVISED_AP_MINE),
    }


def _reclassified_contamination_detail(row: dict[str, Any]) -> str:
    def labels(kinds) -> str:
        return ", ".join(_choice(ContaminationType.choices, kind) for kind in kinds)

    return _("Contamination reported as %(reported)s, counted as %(counted)s") % {
        "reported": labels(row["contamination_types_reported"]),
        "counted": labels(row["contamination_types"]),
    }


def _incident_summary(row: dict[str, Any]) -> dict[str, str]:
    return {
        "incident_class": _choice(Incident.IncidentClass.choices, row["incident_class"]),
        "date": _date(row["incident_date"]),
    }


CHECKS: tuple[Check, ...] = (
    Check(
        code="invalid_polygon",
        group=GEOMETRY,
        label=gettext_lazy("Invalid polygons"),
        description=gettext_lazy("The polygon fails ST_IsValid: the reason and place come from PostGIS."),
        sources=(
            Source(hazard_areas_invalid, lambda row: row["invalid_reason"], values=("invalid_reason",)),
            Source(
                land_release_activities_invalid,
                _invalid_activity_detail,
                values=tuple(f"{name}_reason" for name in ACTIVITY_POLYGONS),
            ),
        ),
    ),
    Check(
        code="sliver",
        group=GEOMETRY,
        label=gettext_lazy("Sliver polygons"),
        description=gettext_lazy(
            "A part of a hazardous area is thinner than a thinness ratio (4πA/P²) of %(thinness)s "
            "or smaller than %(area)s m²."
        ),
        description_args=lambda: {"thinness": _number(SLIVER_MAX_THINNESS, 2), "area": _number(SLIVER_MIN_AREA_M2, 0)},
        sources=(Source(hazard_areas_sliver, _sliver_detail, values=("sliver",)),),
    ),
    Check(
        code="duplicate_geometry",
        group=GEOMETRY,
        label=gettext_lazy("Duplicate hazardous area polygons"),
        description=gettext_lazy("The polygon repeats the polygon of a hazardous area recorded before."),
        sources=(
            Source(
                hazard_areas_duplicate,
                lambda row: _("Same polygon as %(references)s") % {"references": ", ".join(row["same_as"])},
                values=("same_as",),
            ),
        ),
    ),
    Check(
        code="duplicate_incident",
        group=GEOMETRY,
        label=gettext_lazy("Duplicate incidents"),
        description=gettext_lazy("Same point and same date as an incident recorded before."),
        sources=(
            Source(
                incidents_duplicate,
                lambda row: _("Same place and date as %(references)s") % {"references": ", ".join(row["same_as"])},
                values=("same_as",),
            ),
        ),
    ),
    Check(
        code="vertex_jump",
        group=GEOMETRY,
        label=gettext_lazy("Consecutive vertices too far apart"),
        description=gettext_lazy("Two consecutive vertices of a hazardous area are more than %(limit)s km apart."),
        description_args=lambda: {"limit": _number(VERTEX_JUMP_MIN_M / 1000, 0)},
        sources=(Source(hazard_areas_vertex_jump, _jump_detail, values=("jump",)),),
    ),
    Check(
        code="outside_country",
        group=GEOMETRY,
        label=gettext_lazy("Outside the country"),
        description=gettext_lazy("The current boundary of the country does not cover the point or polygon."),
        sources=(
            Source(hazard_areas_outside_country, _polygon_outside_detail, values=("distance_m",), needs_country=True),
            Source(
                land_release_activities_outside_country,
                _activity_outside_detail,
                values=("location_inside", *(f"{name}_inside" for name in ACTIVITY_POLYGONS)),
                needs_country=True,
            ),
            Source(
                incidents_outside_country,
                _point_outside_detail,
                values=("distance_m", "location"),
                needs_country=True,
            ),
            Source(
                risk_education_sessions_outside_country,
                _point_outside_detail,
                values=("distance_m", "location"),
                needs_country=True,
            ),
            Source(
                community_reports_outside_country,
                _point_outside_detail,
                values=("distance_m", "location"),
                needs_country=True,
            ),
        ),
    ),
    Check(
        code="missing_casualties",
        group=REQUIRED_FIELDS,
        label=gettext_lazy("Incidents without casualties"),
        description=gettext_lazy(
            "No casualty is recorded: confirm that nobody was hurt, or add the casualties the tables must count."
        ),
        sources=(
            Source(
                incidents_without_casualties,
                lambda row: _("No casualty recorded (%(incident_class)s, %(date)s)") % _incident_summary(row),
                values=("incident_class", "incident_date"),
            ),
        ),
    ),
    Check(
        code="unknown_device_category",
        group=REQUIRED_FIELDS,
        label=gettext_lazy("Incidents with an unknown device category"),
        description=gettext_lazy("The device category is unknown: the tables by device cannot place the incident."),
        sources=(
            Source(
                incidents_unknown_device,
                lambda row: _("Device category unknown (%(incident_class)s, %(date)s)") % _incident_summary(row),
                values=("incident_class", "incident_date"),
            ),
        ),
    ),
    Check(
        code="missing_contamination_types",
        group=REQUIRED_FIELDS,
        label=gettext_lazy("Hazardous areas without contamination type"),
        description=gettext_lazy("No contamination type: Article 7 reports cannot count the area."),
        sources=(
            Source(
                hazard_areas_without_contamination_types,
                lambda row: (
                    _("No contamination type (%(land_class)s)")
                    % {"land_class": _choice(LandClass.choices, row["land_class"])}
                ),
                values=("land_class",),
            ),
        ),
    ),
    Check(
        code="casualty_unknown_sex_age",
        group=REQUIRED_FIELDS,
        label=gettext_lazy("Casualties of unknown sex and age"),
        description=gettext_lazy("Neither sex, age nor age group is known: no sex-and-age table can place them."),
        sources=(
            Source(
                casualties_unknown_sex_and_age,
                lambda row: (
                    _("Casualty no. %(id)d (%(outcome)s): sex and age unknown")
                    % {"id": row["id"], "outcome": _choice(Casualty.Outcome.choices, row["outcome"])}
                ),
                values=("outcome",),
                reference="incident__reference",
                status="incident__status",
                organisation="incident__organisation__acronym",
            ),
        ),
    ),
    Check(
        code="eore_no_beneficiaries",
        group=REQUIRED_FIELDS,
        label=gettext_lazy("Direct risk education sessions without beneficiaries"),
        description=gettext_lazy("A direct session with no girl, boy, woman or man counted."),
        sources=(
            Source(
                risk_education_sessions_without_beneficiaries,
                lambda row: (
                    _("No beneficiary counted (%(target_group)s, %(date)s)")
                    % {
                        "target_group": _choice(RiskEducationSession.TargetGroup.choices, row["target_group"]),
                        "date": _date(row["session_date"]),
                    }
                ),
                values=("target_group", "session_date"),
            ),
        ),
    ),
    Check(
        code="reclassified_ap_mine",
        group=RECLASSIFICATION,
        label=gettext_lazy("Improvised AV mines recorded as improvised AP mines"),
        description=gettext_lazy(
            "Set off by a person, or sensitive enough to be: recorded as an improvised anti-personnel mine, "
            "as the Mali rule asks (Mine Action Review 2025; APMBC Art. 2). Every such reclassification of an "
            "incident, an item found, a community report or a hazardous area is listed for review."
        ),
        sources=(
            Source(
                incidents_reclassified_visible,
                _reclassified_detail("device_category_reported", "device_category"),
                values=("device_category_reported", "device_category"),
            ),
            Source(
                land_release_activities_reclassified_items,
                _reclassified_items_detail,
                values=("reclassified_items",),
            ),
            Source(
                community_reports_reclassified,
                _reclassified_detail("item_category_reported", "item_category"),
                values=("item_category_reported", "item_category"),
            ),
            Source(
                hazard_areas_reclassified,
                _reclassified_contamination_detail,
                values=("contamination_types_reported", "contamination_types"),
            ),
        ),
    ),
)


def _run(check: Check, source: Source, *, user, country: AdministrativeArea | None, limit: int):
    """(count, findings) of one source in one query, or two when there are `limit` findings or more."""
    arguments = {"user": user, "country": country} if source.needs_country else {"user": user}
    queryset = source.queryset(**arguments)
    model = queryset.model
    rows = list(
        queryset.order_by(source.reference, "id").values(
            "id",
            *source.values,
            ref=F(source.reference),
            record_status=F(source.status),
            organisation_acronym=F(source.organisation),
        )[:limit]
    )
    count = len(rows) if len(rows) < limit else queryset.order_by().count()
    findings = [
        Finding(
            code=check.code,
            record_type=model._meta.label_lower,
            record_id=row["id"],
            reference=row["ref"],
            status=row["record_status"],
            organisation=row["organisation_acronym"],
            detail=source.detail(row),
        )
        for row in rows
    ]
    return count, findings


def data_quality_report(*, user, limit: int = DEFAULT_LIMIT) -> list[CheckResult]:
    """Every check with its complete count and its first `limit` findings (by reference),
    over the records the user may see.

    Runs at most 1 + 2 queries per source of CHECKS, whatever the number of records or findings.
    """
    country = country_area()
    if country is not None and country.geometry is None:
        country = None
    results = []
    for check in CHECKS:
        description = str(check.description)
        if check.description_args is not None:
            description %= check.description_args()
        result = CheckResult(check.code, check.group, str(check.label), description, count=0)
        for source in check.sources:
            if source.needs_country and country is None:
                result.count = None
                continue
            count, findings = _run(check, source, user=user, country=country, limit=limit)
            if result.count is not None:
                result.count += count
            result.findings.extend(findings)
        result.findings = sorted(result.findings, key=lambda finding: (finding.reference, finding.record_id))[:limit]
        results.append(result)
    return results
