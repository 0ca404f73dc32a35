"""Hazardous areas and land release: every write and every rule (IMAS 07.11, 08.10-08.20, 09.10)."""

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import policy
from core.dates import check_event_date
from core.models import RecordStatus
from core.services import apply_fields, editable_fields, next_reference, owner_touch, part_add, part_update, stamp
from core.validation import (
    Problems,
    as_multipolygon,
    check_dates_ordered,
    check_location,
    check_not_future,
    check_not_negative,
    full_clean_into,
)
from hazards.models import HazardArea, LandReleaseActivity, NonConformity, QualityInspection
from reference.models import Organisation
from reference.ordnance import recount_category, recount_contamination
from reference.selectors import admin_area_for_geometry

AreaUnit = Literal["m2", "ha", "km2"]
SQUARE_METRES = {"m2": 1.0, "ha": 10_000.0, "km2": 1_000_000.0}
# Half a square metre: rounding of areas computed on the spheroid, not a real excess.
AREA_TOLERANCE_M2 = 0.5

RELEASED_AREAS = ("area_cancelled_m2", "area_reduced_m2", "area_cleared_m2")
AREA_GEOMETRIES = {
    "area_cancelled_m2": "cancelled_geometry",
    "area_reduced_m2": "reduced_geometry",
    "area_cleared_m2": "cleared_geometry",
}
# IMAS 07.11: land is cancelled by non-technical survey, reduced by technical survey and
# cleared by clearance; the other activities release nothing themselves.
RELEASE_BY_KIND = {
    LandReleaseActivity.Kind.NTS: {"area_cancelled_m2"},
    LandReleaseActivity.Kind.TS: {"area_cancelled_m2", "area_reduced_m2", "area_cleared_m2"},
    LandReleaseActivity.Kind.CLEARANCE: {"area_cleared_m2"},
}
RELEASE_MESSAGES = {
    "area_cancelled_m2": gettext_lazy("Only a non-technical or technical survey cancels land."),
    "area_reduced_m2": gettext_lazy("Only a technical survey reduces land."),
    "area_cleared_m2": gettext_lazy("Only clearance or a technical survey clears land."),
}
HAZARD_OPTIONAL = {LandReleaseActivity.Kind.EOD_SPOT_TASK, LandReleaseActivity.Kind.MARKING}
HANDOVER_FIELDS = ("handover_men", "handover_women", "handover_boys", "handover_girls")

HAZARD_INPUT = editable_fields(HazardArea, exclude={"reference", "organisation"})
INSPECTION_INPUT = editable_fields(QualityInspection, exclude={"activity"})
NON_CONFORMITY_INPUT = editable_fields(NonConformity, exclude={"inspection"})
ACTIVITY_INPUT = editable_fields(LandReleaseActivity, exclude={"reference", "organisation"})


def _geography_area(geom) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_Area(ST_GeomFromEWKB(%s)::geography)", [memoryview(geom.ewkb)])
        return cursor.fetchone()[0]


# --- Hazardous areas ----------------------------------------------------------------------


def hazard_area_validate(hazard: HazardArea) -> None:
    problems = Problems()
    hazard.geometry = as_multipolygon(hazard.geometry)
    check_location(hazard.geometry, "geometry", problems, kind="MultiPolygon")
    check_event_date(hazard, "survey_date", problems)
    check_not_future(hazard.hazard_status_date, "hazard_status_date", problems)
    check_dates_ordered(
        hazard.survey_date,
        hazard.hazard_status_date,
        "hazard_status_date",
        problems,
        _("The status date cannot be before the survey date."),
    )
    check_not_negative(hazard, ["beneficiaries"], problems)
    if hazard.hazard_status != HazardArea.HazardStatus.OPEN and not hazard.hazard_status_reason:
        problems.add("hazard_status_reason", _("Say why the hazardous area is no longer open."))
    # Mali rule (Mine Action Review 2025; APMBC Art. 2.1, reference.ordnance): person-sensitive
    # improvised AV mines count as improvised AP mines; the reporter's types are kept apart.
    hazard.contamination_types, hazard.contamination_types_reported = recount_contamination(
        types=hazard.contamination_types,
        kept=hazard.contamination_types_reported,
        improvised_av_person_sensitive=hazard.improvised_av_person_sensitive,
    )
    if "geometry" not in problems.errors:
        hazard.admin_area = admin_area_for_geometry(hazard.geometry)
    full_clean_into(hazard, problems, exclude=["geometry"] if "geometry" in problems.errors else [])
    problems.raise_if_any()


@transaction.atomic
def hazard_area_create(*, user, organisation: Organisation, data: Mapping[str, Any]) -> HazardArea:
    """Records a hazardous area; its area is computed by PostGIS, its région derived spatially."""
    policy.check_report_for(user, HazardArea, organisation)
    hazard = HazardArea(organisation=organisation, reference=next_reference("HA"))
    apply_fields(hazard, data, allowed=HAZARD_INPUT)
    if hazard.hazard_status_date is None:
        hazard.hazard_status_date = hazard.survey_date
    hazard_area_validate(hazard)
    stamp(hazard, user)
    hazard.save()
    # Filling in the derived figures of a new record is not a new version of it.
    hazard_areas_recompute(ids=[hazard.pk], new_version=False)
    hazard.refresh_from_db()
    return hazard


@transaction.atomic
def hazard_area_update(*, hazard: HazardArea, user, data: Mapping[str, Any]) -> HazardArea:
    hazard = HazardArea.objects.select_for_update().get(pk=hazard.pk)
    policy.check_change(user, hazard)
    apply_fields(hazard, data, allowed=HAZARD_INPUT)
    hazard_area_validate(hazard)
    if "geometry" in data:
        # A smaller polygon must still hold what was already released.
        new_area = _geography_area(hazard.geometry)
        released = _released_total(hazard, exclude_activity=None)
        if released > new_area + AREA_TOLERANCE_M2:
            problems = Problems()
            problems.add(
                "geometry",
                _("The new polygon (%(area).0f m²) is smaller than the area already released (%(released).0f m²).")
                % {"area": new_area, "released": released},
            )
            problems.raise_if_any()
    stamp(hazard, user)
    hazard.save()
    hazard_areas_recompute(ids=[hazard.pk])
    hazard.refresh_from_db()
    return hazard


def hazard_areas_recompute(*, ids: Iterable[int] | None = None, new_version: bool = True) -> int:
    """Released, remaining area and status of hazardous areas, from their approved activities.

    One set-based statement, used for a single hazard after each write and for every hazard
    after a bulk load. Status follows IMAS 08.10: handed over once a handover is approved;
    closed when nothing remains; open otherwise.
    """
    id_list = None if ids is None else list(ids)
    sql = """
        WITH sums AS (
            SELECT h.id, h.area_m2,
                   COALESCE(SUM(a.area_cancelled_m2), 0) AS cancelled,
                   COALESCE(SUM(a.area_reduced_m2), 0) AS reduced,
                   COALESCE(SUM(a.area_cleared_m2), 0) AS cleared,
                   MAX(COALESCE(a.end_date, a.start_date)) FILTER (WHERE a.kind = 'handover') AS handed_over_on,
                   MAX(COALESCE(a.end_date, a.start_date)) AS last_activity_on
            FROM hazards_hazardarea h
            LEFT JOIN hazards_landreleaseactivity a
                   ON a.hazard_area_id = h.id AND a.status = %s AND a.deleted_at IS NULL
            WHERE %s::bigint[] IS NULL OR h.id = ANY(%s::bigint[])
            GROUP BY h.id, h.area_m2
        ), released AS (
            SELECT s.*,
                   CASE WHEN s.handed_over_on IS NOT NULL THEN 'handed_over'
                        WHEN s.area_m2 - s.cancelled - s.reduced - s.cleared <= %s THEN 'closed'
                        ELSE 'open' END AS new_status
            FROM sums s
        )
        UPDATE hazards_hazardarea h SET
            -- A changed representation is a new version (the API's ETag).
            version = h.version + %s,
            area_cancelled_m2 = r.cancelled,
            area_reduced_m2 = r.reduced,
            area_cleared_m2 = r.cleared,
            remaining_area_m2 = GREATEST(h.area_m2 - r.cancelled - r.reduced - r.cleared, 0),
            hazard_status = r.new_status,
            hazard_status_date = CASE
                WHEN r.handed_over_on IS NOT NULL AND h.hazard_status <> 'handed_over' THEN r.handed_over_on
                WHEN r.handed_over_on IS NULL AND h.area_m2 - r.cancelled - r.reduced - r.cleared <= %s
                     AND h.hazard_status <> 'closed' THEN COALESCE(r.last_activity_on, h.hazard_status_date)
                ELSE h.hazard_status_date END,
            hazard_status_reason = CASE
                WHEN r.handed_over_on IS NOT NULL THEN %s
                WHEN h.area_m2 - r.cancelled - r.reduced - r.cleared <= %s THEN %s
                WHEN h.hazard_status <> 'open' THEN ''
                ELSE h.hazard_status_reason END
        FROM released r
        WHERE h.id = r.id
          AND (h.area_cancelled_m2, h.area_reduced_m2, h.area_cleared_m2, h.remaining_area_m2, h.hazard_status)
              IS DISTINCT FROM (r.cancelled, r.reduced, r.cleared,
                                GREATEST(h.area_m2 - r.cancelled - r.reduced - r.cleared, 0), r.new_status)
    """
    # The reason is stored data: written in the installation's language, whoever runs this.
    with connection.cursor() as cursor, translation.override(settings.LANGUAGE_CODE):
        cursor.execute(
            sql,
            [
                RecordStatus.APPROVED,
                id_list,
                id_list,
                AREA_TOLERANCE_M2,
                1 if new_version else 0,
                AREA_TOLERANCE_M2,
                _("Handed over to the community."),
                AREA_TOLERANCE_M2,
                _("All of the area released by land release activities."),
            ],
        )
        return cursor.rowcount


# --- Land release activities ---------------------------------------------------------------


def _released_total(hazard: HazardArea, *, exclude_activity: int | None) -> float:
    """Area released by the hazard's activities that still count or may count (not rejected)."""
    activities = LandReleaseActivity.objects.filter(hazard_area=hazard).exclude(status=RecordStatus.REJECTED)
    if exclude_activity is not None:
        activities = activities.exclude(pk=exclude_activity)
    total = 0.0
    for row in activities.values_list(*RELEASED_AREAS):
        total += sum(row)
    return total


def _convert_units(data: Mapping[str, Any], unit: AreaUnit, problems: Problems) -> dict[str, Any]:
    """One unit per report: every area of a report is given in the same unit, stored in m²."""
    if unit not in SQUARE_METRES:
        problems.add("area_unit", _("Unknown area unit %(unit)s: use m2, ha or km2.") % {"unit": unit})
        return dict(data)
    factor = SQUARE_METRES[unit]
    converted = dict(data)
    for name in RELEASED_AREAS:
        if converted.get(name) is not None:
            try:
                converted[name] = float(converted[name]) * factor
            except (TypeError, ValueError):
                problems.add(name, _("Enter a number."))
                converted.pop(name)
    return converted


def land_release_activity_validate(activity: LandReleaseActivity) -> None:
    problems = Problems()
    kind = activity.kind
    for name in AREA_GEOMETRIES.values():
        setattr(activity, name, as_multipolygon(getattr(activity, name)))
        check_location(getattr(activity, name), name, problems, kind="MultiPolygon")
    check_location(activity.location, "location", problems, kind="Point")
    check_event_date(activity, "start_date", problems)
    check_not_future(activity.end_date, "end_date", problems)
    check_dates_ordered(
        activity.start_date, activity.end_date, "end_date", problems, _("The end date cannot be before the start date.")
    )
    check_not_negative(activity, [*RELEASED_AREAS, *HANDOVER_FIELDS, "clearance_depth_cm"], problems)

    hazard = activity.hazard_area
    if hazard is None and kind not in HAZARD_OPTIONAL:
        problems.add("hazard_area", _("This kind of activity is done on a hazardous area: choose one."))
    if hazard is None and kind in HAZARD_OPTIONAL and activity.location is None:
        problems.add("location", _("Give the location of an activity that is not on a hazardous area."))
    if hazard is not None and hazard.hazard_status == HazardArea.HazardStatus.HANDED_OVER and activity._state.adding:
        problems.add("hazard_area", _("This hazardous area has been handed over."))

    allowed = RELEASE_BY_KIND.get(kind, set())
    for name in RELEASED_AREAS:
        if (getattr(activity, name) or 0) > 0 and name not in allowed:
            problems.add(name, RELEASE_MESSAGES[name])
    if activity.clearance_depth_cm is not None and kind not in (
        LandReleaseActivity.Kind.CLEARANCE,
        LandReleaseActivity.Kind.TS,
    ):
        problems.add("clearance_depth_cm", _("Only clearance and technical survey have a clearance depth."))
    if kind != LandReleaseActivity.Kind.HANDOVER:
        for name in HANDOVER_FIELDS:
            if getattr(activity, name):
                problems.add(name, _("People are counted at handover only."))

    # A polygon, where known, gives the area: typed figures must agree with it.
    for name, geometry_name in AREA_GEOMETRIES.items():
        geometry = getattr(activity, geometry_name)
        if geometry is None or geometry_name in problems.errors:
            continue
        computed = _geography_area(geometry)
        typed = getattr(activity, name) or 0
        if typed and abs(typed - computed) > max(0.01 * computed, AREA_TOLERANCE_M2):
            problems.add(
                name,
                _("%(typed).0f m² does not match its polygon (%(computed).0f m²); leave it empty to use the polygon.")
                % {"typed": typed, "computed": computed},
            )
        else:
            setattr(activity, name, computed)
        if (
            hazard is not None
            and not HazardArea.objects.filter(
                pk=hazard.pk, geometry__covers=geometry.buffer(-1e-7) if geometry.area > 1e-12 else geometry
            ).exists()
        ):
            problems.add(geometry_name, _("The polygon must lie inside the hazardous area."))

    if hazard is not None and not problems:
        released = _released_total(hazard, exclude_activity=activity.pk) + activity.released_area_m2
        if released > hazard.area_m2 + AREA_TOLERANCE_M2:
            problems.add(
                "non_field_errors",
                _(
                    "Released area (%(released).0f m²) would exceed the hazardous area (%(area).0f m²): "
                    "%(left).0f m² remain to release."
                )
                % {
                    "released": released,
                    "area": hazard.area_m2,
                    "left": max(hazard.area_m2 - (released - activity.released_area_m2), 0),
                },
            )
    if activity.location is None and hazard is not None:
        activity.admin_area = hazard.admin_area
    elif activity.location is not None and "location" not in problems.errors:
        activity.admin_area = admin_area_for_geometry(activity.location)
    full_clean_into(activity, problems, exclude=[n for n in problems.errors if n != "non_field_errors"])
    problems.raise_if_any()


@transaction.atomic
def land_release_activity_create(
    *, user, organisation: Organisation, data: Mapping[str, Any], area_unit: AreaUnit = "m2", items=()
) -> LandReleaseActivity:
    """Records an activity with the items it found. Released area can never exceed the
    hazardous area (DOMAIN.md invariant); the hazard's remaining area and status follow."""
    policy.check_report_for(user, LandReleaseActivity, organisation)
    problems = Problems()
    data = _convert_units(data, area_unit, problems)
    problems.raise_if_any()
    activity = LandReleaseActivity(organisation=organisation, reference=next_reference("LR"))
    apply_fields(activity, data, allowed=ACTIVITY_INPUT)
    if activity.hazard_area_id:
        # Serialise writes on one hazard so that two reports cannot both take the last m².
        activity.hazard_area = HazardArea.objects.select_for_update().get(pk=activity.hazard_area_id)
        policy.check_view(user, activity.hazard_area)
    land_release_activity_validate(activity)
    stamp(activity, user)
    activity.save()
    for item in items:
        item_found_add(activity=activity, user=user, data=item)
    if activity.hazard_area_id:
        hazard_areas_recompute(ids=[activity.hazard_area_id])
    return activity


@transaction.atomic
def land_release_activity_update(
    *, activity: LandReleaseActivity, user, data: Mapping[str, Any], area_unit: AreaUnit = "m2"
) -> LandReleaseActivity:
    problems = Problems()
    data = _convert_units(data, area_unit, problems)
    problems.raise_if_any()
    activity = LandReleaseActivity.objects.select_for_update().get(pk=activity.pk)
    policy.check_change(user, activity)
    previous_hazard = activity.hazard_area_id
    apply_fields(activity, data, allowed=ACTIVITY_INPUT)
    if activity.hazard_area_id:
        activity.hazard_area = HazardArea.objects.select_for_update().get(pk=activity.hazard_area_id)
        if activity.hazard_area_id != previous_hazard:
            policy.check_view(user, activity.hazard_area)
    land_release_activity_validate(activity)
    stamp(activity, user)
    activity.save()
    hazard_areas_recompute(ids=[i for i in {previous_hazard, activity.hazard_area_id} if i])
    return activity


def item_found_classify(item) -> None:
    """The category an item found counts as: the model's when none is given, then the Mali rule
    (Mine Action Review 2025, recommendation to Mali; APMBC Art. 2.1; see
    `reference.ordnance.classify_device`): an improvised AV mine whose main charge a person can
    set off counts as an improvised AP mine, and the reporter's category is kept in
    `category_reported`."""
    if item.ordnance_type_id and not item.category:
        item.category = item.ordnance_type.category
    item.category, item.category_reported = recount_category(
        category=item.category, kept=item.category_reported, person_sensitive=item.person_sensitive
    )


def item_found_add(*, activity: LandReleaseActivity, user, data: Mapping[str, Any]):
    from hazards.models import ItemFound

    item = ItemFound(activity=activity)
    apply_fields(item, data, allowed=editable_fields(ItemFound, exclude={"activity"}))
    _item_found_validate(item)
    stamp(item, user)
    item.save()
    return item


# --- Parts of an activity's report: items found; quality management (IMAS 07.40) ----------


@transaction.atomic
def item_found_create(*, activity: LandReleaseActivity, user, data: Mapping[str, Any]):
    """An item added to an activity's report (the admin's inline): the activity changes."""
    from hazards.models import ItemFound

    policy.check_add_to(user, ItemFound, activity)
    item = item_found_add(activity=activity, user=user, data=data)
    owner_touch(item, user)
    return item


def item_found_update(*, item, user, data: Mapping[str, Any]):
    from hazards.models import ItemFound

    return part_update(item, user=user, data=data, allowed=editable_fields(ItemFound, exclude={"activity"}),
                       validate=_item_found_validate)  # fmt: skip


def _item_found_validate(item) -> None:
    item_found_classify(item)
    problems = Problems()
    check_not_negative(item, ["quantity", "depth_cm"], problems)
    if item.quantity is not None and item.quantity < 1:
        problems.add("quantity", _("At least one item."))
    full_clean_into(item, problems, exclude=list(problems.errors))
    problems.raise_if_any()


def quality_inspection_validate(inspection) -> None:
    problems = Problems()
    check_not_future(inspection.inspection_date, "inspection_date", problems)
    activity = inspection.activity if inspection.activity_id else None
    if activity is not None and inspection.inspection_date and inspection.inspection_date < activity.start_date:
        problems.add("inspection_date", _("An inspection cannot come before the activity started."))
    full_clean_into(inspection, problems, exclude=["activity", *problems.errors])
    problems.raise_if_any()


def non_conformity_validate(non_conformity) -> None:
    problems = Problems()
    check_not_future(non_conformity.closed_on, "closed_on", problems)
    inspection = non_conformity.inspection if non_conformity.inspection_id else None
    if inspection is not None and non_conformity.closed_on and non_conformity.closed_on < inspection.inspection_date:
        problems.add("closed_on", _("A non-conformity cannot be closed before the inspection found it."))
    full_clean_into(non_conformity, problems, exclude=["inspection", *problems.errors])
    problems.raise_if_any()


def quality_inspection_create(*, activity: LandReleaseActivity, user, data: Mapping[str, Any]):
    """The authority's inspection of an activity (quality assurance or control)."""
    from hazards.models import QualityInspection

    return part_add(QualityInspection(activity=activity), parent=activity, user=user, data=data,
                    allowed=INSPECTION_INPUT, validate=quality_inspection_validate)  # fmt: skip


def quality_inspection_update(*, inspection, user, data: Mapping[str, Any]):
    return part_update(inspection, user=user, data=data, allowed=INSPECTION_INPUT,
                       validate=quality_inspection_validate)  # fmt: skip


def non_conformity_add(*, inspection, user, data: Mapping[str, Any]):
    from hazards.models import NonConformity

    return part_add(NonConformity(inspection=inspection), parent=inspection, user=user, data=data,
                    allowed=NON_CONFORMITY_INPUT, validate=non_conformity_validate)  # fmt: skip


def non_conformity_update(*, non_conformity, user, data: Mapping[str, Any]):
    return part_update(non_conformity, user=user, data=data, allowed=NON_CONFORMITY_INPUT,
                       validate=non_conformity_validate)  # fmt: skip
