import datetime
import math

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from core.exceptions import ApplicationError
from core.models import RecordStatus
from hazards.models import HazardArea, LandReleaseActivity
from hazards.services import (
    hazard_area_create,
    hazard_area_update,
    land_release_activity_create,
    land_release_activity_update,
)
from tests.geo import GAO, MOPTI, PARIS, bowtie, point, square

pytestmark = pytest.mark.django_db


def _hazard_data(past, **overrides):
    return {
        "land_class": "cha",
        "geometry": square(MOPTI, 0.01),
        "evidence": "direct",
        "survey_date": past,
        "contamination_types": ["improvised_ap_mines"],
        "blocked_land_use": ["agriculture", "grazing"],
        "beneficiaries": 350,
        **overrides,
    }


@pytest.fixture
def hazard(officer, partner_a, past):
    return hazard_area_create(user=officer, organisation=partner_a, data=_hazard_data(past))


def _approve(activity: LandReleaseActivity) -> LandReleaseActivity:
    # The workflow's approval is its own feature; here only its effect on figures matters.
    LandReleaseActivity.objects.filter(pk=activity.pk).update(status=RecordStatus.APPROVED)
    from hazards.services import hazard_areas_recompute

    hazard_areas_recompute(ids=[activity.hazard_area_id])
    activity.refresh_from_db()
    return activity


def _activity(officer, organisation, hazard, past, items=(), **data):
    return land_release_activity_create(
        user=officer, organisation=organisation, data={"hazard_area": hazard, "start_date": past, **data}, items=items
    )


# --- Hazardous areas ------------------------------------------------------------------------


def test_area_is_computed_by_postgis_on_the_geography(hazard):
    # 0.01 degree square at 14.49° N: 1,113 m east-west (times cos latitude) by 1,106 m north-south.
    expected = 0.01 * 111_320 * math.cos(math.radians(14.495)) * 0.01 * 110_600
    assert hazard.area_m2 == pytest.approx(expected, rel=0.01)
    assert hazard.remaining_area_m2 == pytest.approx(hazard.area_m2)
    assert hazard.geometry.geom_type == "MultiPolygon"


def test_area_follows_a_changed_polygon_and_cannot_be_typed(hazard, officer):
    before = hazard.area_m2
    updated = hazard_area_update(hazard=hazard, user=officer, data={"geometry": square(MOPTI, 0.02)})
    assert updated.area_m2 == pytest.approx(before * 4, rel=0.01)

    with pytest.raises(ApplicationError) as exc:
        hazard_area_update(hazard=hazard, user=officer, data={"area_m2": 5})
    assert exc.value.errors == {"area_m2": ["This field cannot be set."]}


def test_administrative_area_is_derived_spatially(hazard, officer, partner_a, past):
    assert hazard.admin_area.pcode == "ML05"
    in_gao = hazard_area_create(user=officer, organisation=partner_a, data=_hazard_data(past, geometry=square(GAO)))
    assert in_gao.admin_area.pcode == "ML07"


def test_reference_codes_are_issued_in_sequence(hazard, officer, partner_a, past):
    second = hazard_area_create(user=officer, organisation=partner_a, data=_hazard_data(past))
    first_number, second_number = int(hazard.reference.rsplit("-", 1)[1]), int(second.reference.rsplit("-", 1)[1])
    assert hazard.reference.startswith("ML-HA-")
    assert second_number == first_number + 1


def test_creator_and_editor_are_recorded(hazard, officer, partner_user):
    assert hazard.created_by == officer
    updated = hazard_area_update(hazard=hazard, user=partner_user, data={"beneficiaries": 10})
    assert (updated.created_by, updated.updated_by) == (officer, partner_user)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (bowtie(), "The geometry is not valid: Self-intersection"),
        (
            Polygon(((-4.19, 14.49), (-4.18, 14.49), (-4.19, 14.49), (-4.19, 14.49)), srid=4326),
            "A polygon needs at least 3 distinct vertices.",
        ),
        (square(PARIS), "The location lies outside the country."),
        (point(MOPTI), "Expected a MultiPolygon, got a Point."),
        (Polygon(((0, 0), (1e6, 0), (1e6, 1e6), (0, 0)), srid=32630), "Coordinates must be in WGS84"),
    ],
)
def test_bad_geometry_gets_a_specific_message(officer, partner_a, past, geometry, message):
    with pytest.raises(ApplicationError) as exc:
        hazard_area_create(user=officer, organisation=partner_a, data=_hazard_data(past, geometry=geometry))
    assert exc.value.errors["geometry"][0].startswith(message)
    assert not HazardArea.objects.exists()


def test_dates_counts_and_status_rules(officer, partner_a, past):
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    with pytest.raises(ApplicationError) as exc:
        hazard_area_create(
            user=officer,
            organisation=partner_a,
            data=_hazard_data(
                past,
                survey_date=tomorrow,
                hazard_status_date=past - datetime.timedelta(days=1),
                beneficiaries=-3,
                hazard_status="closed",
            ),
        )
    errors = exc.value.errors
    assert errors["survey_date"] == ["The date cannot be in the future."]
    assert errors["hazard_status_date"] == ["The status date cannot be before the survey date."]
    assert errors["beneficiaries"][0] == "A count or an area can never be negative."
    assert errors["hazard_status_reason"] == ["Say why the hazardous area is no longer open."]


def test_unknown_choice_is_refused_with_the_field_named(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        hazard_area_create(
            user=officer,
            organisation=partner_a,
            data=_hazard_data(past, land_class="minefield", contamination_types=["dragons"]),
        )
    assert exc.value.errors["land_class"] == ["Value 'minefield' is not a valid choice."]
    assert "contamination_types" in exc.value.errors


# --- Land release -----------------------------------------------------------------------------


def test_approved_activities_release_land_and_close_the_hazard(hazard, officer, partner_a, past):
    area = hazard.area_m2
    nts = _activity(officer, partner_a, hazard, past, kind="nts", area_cancelled_m2=area * 0.6)
    hazard.refresh_from_db()
    # Not approved yet: the national picture has not changed.
    assert hazard.remaining_area_m2 == pytest.approx(area)

    _approve(nts)
    hazard.refresh_from_db()
    assert hazard.area_cancelled_m2 == pytest.approx(area * 0.6)
    assert hazard.remaining_area_m2 == pytest.approx(area * 0.4)
    assert hazard.hazard_status == "open"

    clearance = _activity(
        officer,
        partner_a,
        hazard,
        past,
        kind="clearance",
        area_cleared_m2=area * 0.4,
        clearance_depth_cm=30,
        end_date=past + datetime.timedelta(days=20),
        items=[{"category": "improvised_ap_mine", "quantity": 3, "destroyed": True, "depth_cm": 10}],
    )
    _approve(clearance)
    hazard.refresh_from_db()
    assert hazard.remaining_area_m2 == pytest.approx(0, abs=0.01)
    assert hazard.hazard_status == "closed"
    assert hazard.hazard_status_date == past + datetime.timedelta(days=20)
    # Stored in the installation's language (French), whatever language the writer used.
    assert (
        hazard.hazard_status_reason == "Toute la superficie a été remise à disposition (annulée, réduite ou dépolluée)."
    )
    assert clearance.items_found.get().quantity == 3

    handover = _activity(
        officer,
        partner_a,
        hazard,
        past + datetime.timedelta(days=30),
        kind="handover",
        handover_women=12,
        handover_men=10,
        handover_girls=7,
        handover_boys=9,
    )
    _approve(handover)
    hazard.refresh_from_db()
    assert hazard.hazard_status == "handed_over"
    assert hazard.hazard_status_date == past + datetime.timedelta(days=30)


def test_released_area_can_never_exceed_the_hazard(hazard, officer, partner_a, past):
    area = hazard.area_m2
    _activity(officer, partner_a, hazard, past, kind="nts", area_cancelled_m2=area * 0.7)
    with pytest.raises(ApplicationError) as exc:
        # The pending report above already claims 70%: both cannot be approved.
        _activity(officer, partner_a, hazard, past, kind="clearance", area_cleared_m2=area * 0.5)
    message = exc.value.errors["non_field_errors"][0]
    assert message.startswith(f"Released area ({area * 1.2:.0f} m²) would exceed the hazardous area ({area:.0f} m²)")
    assert message.endswith(f"{area * 0.3:.0f} m² remain to release.")
    assert LandReleaseActivity.objects.count() == 1


def test_a_rejected_report_frees_its_claim_on_the_area(hazard, officer, partner_a, past):
    area = hazard.area_m2
    first = _activity(officer, partner_a, hazard, past, kind="nts", area_cancelled_m2=area * 0.7)
    LandReleaseActivity.objects.filter(pk=first.pk).update(status=RecordStatus.REJECTED)
    second = _activity(officer, partner_a, hazard, past, kind="clearance", area_cleared_m2=area * 0.5)
    assert second.area_cleared_m2 == pytest.approx(area * 0.5)


def test_a_report_uses_one_unit_converted_to_square_metres(hazard, officer, partner_a, past):
    activity = land_release_activity_create(
        user=officer,
        organisation=partner_a,
        area_unit="ha",
        data={"hazard_area": hazard, "start_date": past, "kind": "ts", "area_reduced_m2": 2, "area_cleared_m2": 0.5},
    )
    assert (activity.area_reduced_m2, activity.area_cleared_m2) == (20_000, 5_000)

    with pytest.raises(ApplicationError) as exc:
        land_release_activity_create(
            user=officer,
            organisation=partner_a,
            area_unit="acres",
            data={"hazard_area": hazard, "start_date": past, "kind": "ts", "area_reduced_m2": 2},
        )
    assert exc.value.errors == {"area_unit": ["Unknown area unit acres: use m2, ha or km2."]}


def test_a_released_polygon_gives_the_area_and_must_lie_in_the_hazard(hazard, officer, partner_a, past):
    inner = square((MOPTI[0] + 0.001, MOPTI[1] + 0.001), 0.004)
    activity = _activity(officer, partner_a, hazard, past, kind="clearance", cleared_geometry=inner)
    assert activity.area_cleared_m2 == pytest.approx(hazard.area_m2 * 0.16, rel=0.01)
    assert isinstance(activity.cleared_geometry, MultiPolygon)

    with pytest.raises(ApplicationError) as exc:
        _activity(officer, partner_a, hazard, past, kind="clearance", cleared_geometry=inner, area_cleared_m2=10)
    assert "does not match its polygon" in exc.value.errors["area_cleared_m2"][0]

    outside = square((MOPTI[0] + 0.02, MOPTI[1]), 0.004)
    with pytest.raises(ApplicationError) as exc:
        _activity(officer, partner_a, hazard, past, kind="clearance", cleared_geometry=outside)
    assert exc.value.errors["cleared_geometry"] == ["The polygon must lie inside the hazardous area."]


def test_each_kind_releases_land_only_its_own_way(hazard, officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _activity(
            officer,
            partner_a,
            hazard,
            past,
            kind="marking",
            area_cleared_m2=100,
            clearance_depth_cm=20,
            handover_men=3,
        )
    assert exc.value.errors == {
        "area_cleared_m2": ["Only clearance or a technical survey clears land."],
        "clearance_depth_cm": ["Only clearance and technical survey have a clearance depth."],
        "handover_men": ["People are counted at handover only."],
    }


def test_activity_dates_and_counts(hazard, officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _activity(
            officer,
            partner_a,
            hazard,
            past,
            kind="nts",
            end_date=past - datetime.timedelta(days=1),
            area_cancelled_m2=-5,
        )
    assert exc.value.errors["end_date"] == ["The end date cannot be before the start date."]
    assert exc.value.errors["area_cancelled_m2"][0] == "A count or an area can never be negative."


def test_a_spot_task_needs_a_hazard_or_a_location(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        land_release_activity_create(
            user=officer, organisation=partner_a, data={"kind": "eod_spot_task", "start_date": past}
        )
    assert exc.value.errors == {"location": ["Give the location of an activity that is not on a hazardous area."]}

    task = land_release_activity_create(
        user=officer, organisation=partner_a, data={"kind": "eod_spot_task", "start_date": past, "location": point(GAO)}
    )
    assert task.admin_area.pcode == "ML07"

    with pytest.raises(ApplicationError) as exc:
        land_release_activity_create(
            user=officer, organisation=partner_a, data={"kind": "clearance", "start_date": past}
        )
    assert exc.value.errors["hazard_area"] == ["This kind of activity is done on a hazardous area: choose one."]


def test_shrinking_a_hazard_below_what_was_released_is_refused(hazard, officer, partner_a, past):
    _approve(_activity(officer, partner_a, hazard, past, kind="nts", area_cancelled_m2=hazard.area_m2 * 0.5))
    with pytest.raises(ApplicationError) as exc:
        hazard_area_update(hazard=hazard, user=officer, data={"geometry": square(MOPTI, 0.005)})
    assert "is smaller than the area already released" in exc.value.errors["geometry"][0]


def test_moving_an_activity_to_another_hazard_recomputes_both(hazard, officer, partner_a, past):
    other = hazard_area_create(user=officer, organisation=partner_a, data=_hazard_data(past, geometry=square(GAO)))
    activity = _approve(_activity(officer, partner_a, hazard, past, kind="nts", area_cancelled_m2=1000))
    land_release_activity_update(activity=activity, user=officer, data={"hazard_area": other})
    hazard.refresh_from_db()
    other.refresh_from_db()
    assert hazard.area_cancelled_m2 == 0
    assert other.area_cancelled_m2 == 1000
