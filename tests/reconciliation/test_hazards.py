"""Reconciling hazardous areas: two surveys of the same land become one hazardous area, with
the land release of both (DOMAIN.md, Workflow and invariants; IMAS 08.10)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from core.exceptions import ApplicationError
from core.models import RecordStatus
from hazards.models import HazardArea, LandReleaseActivity
from hazards.reconciliation import hazard_area_merge, hazard_area_overlap_candidates
from hazards.services import hazard_area_create, hazard_areas_recompute, land_release_activity_create
from tests.geo import GAO, MOPTI, square

pytestmark = pytest.mark.django_db

SIZE = 0.01


def _shifted(dx: float, dy: float = 0.0):
    return (MOPTI[0] + dx, MOPTI[1] + dy)


def _hazard(user, organisation, past, where=MOPTI, size=SIZE, **data):
    return hazard_area_create(
        user=user,
        organisation=organisation,
        data={
            "land_class": "cha",
            "geometry": square(where, size),
            "evidence": "direct",
            "survey_date": past,
            "contamination_types": ["improvised_ap_mines"],
            **data,
        },
    )


def _clearance(user, organisation, hazard, past, polygon):
    activity = land_release_activity_create(
        user=user,
        organisation=organisation,
        data={"hazard_area": hazard, "kind": "clearance", "start_date": past, "cleared_geometry": polygon},
    )
    LandReleaseActivity.objects.filter(pk=activity.pk).update(status=RecordStatus.APPROVED)
    hazard_areas_recompute(ids=[hazard.pk])
    return activity


@pytest.fixture
def surveyed(officer_user, partner_a, partner_b, past):
    """Partner A's hazardous area; partner B's surveys: of mostly the same land (shifted east by a
    fifth), of the same land again (shifted north by a tenth), one that overlaps little, one far away."""
    return {
        "first": _hazard(officer_user, partner_a, past),
        "same": _hazard(officer_user, partner_b, past, where=_shifted(0.002), contamination_types=["av_mines"]),
        "little": _hazard(officer_user, partner_b, past, where=_shifted(0.008)),
        "far": _hazard(officer_user, partner_b, past, where=GAO),
        "north": _hazard(officer_user, partner_b, past, where=_shifted(0, 0.001)),
    }


def test_overlapping_open_areas_are_candidates(surveyed, officer_user):
    # Closed land is not reconciled any more.
    HazardArea.objects.filter(pk=surveyed["north"].pk).update(hazard_status="closed")
    candidates = hazard_area_overlap_candidates(hazard=surveyed["first"], user=officer_user)
    assert [c.pk for c in candidates] == [surveyed["same"].pk]
    assert candidates[0].share == pytest.approx(0.8, abs=0.01)
    assert candidates[0].overlap_m2 == pytest.approx(0.8 * surveyed["first"].area_m2, rel=0.01)


def test_the_threshold_comes_from_the_settings(surveyed, officer_user):
    with override_settings(HAZARD_OVERLAP_THRESHOLD=0.1):
        candidates = hazard_area_overlap_candidates(hazard=surveyed["first"], user=officer_user)
    # Largest share first: the one shifted north by a tenth, then by a fifth, then by four fifths.
    assert [c.pk for c in candidates] == [surveyed["north"].pk, surveyed["same"].pk, surveyed["little"].pk]
    assert [round(c.share, 1) for c in candidates] == [0.9, 0.8, 0.2]


def test_merging_joins_the_polygons_and_moves_the_land_release(surveyed, officer_user, partner_b, past):
    keep, duplicate = surveyed["first"], surveyed["same"]
    # Cleared on the part of the duplicate outside the kept polygon.
    activity = _clearance(officer_user, partner_b, duplicate, past, square(_shifted(0.0105, 0.001), 0.001))
    cleared = LandReleaseActivity.objects.get(pk=activity.pk).area_cleared_m2
    version = keep.version

    merged = hazard_area_merge(keep=keep, duplicate=duplicate, user=officer_user, reason="Même zone")

    assert merged.geometry.geom_type == "MultiPolygon"
    assert merged.geometry.valid
    assert merged.geometry.covers(duplicate.geometry)
    assert merged.geometry.covers(keep.geometry)
    assert merged.area_m2 == pytest.approx(1.2 * keep.area_m2, rel=0.01)
    assert merged.contamination_types == ["improvised_ap_mines", "av_mines"]
    assert LandReleaseActivity.objects.get(pk=activity.pk).hazard_area_id == keep.pk
    assert merged.area_cleared_m2 == pytest.approx(cleared)
    assert merged.remaining_area_m2 == pytest.approx(merged.area_m2 - cleared)
    assert merged.version > version

    gone = HazardArea.all_objects.get(pk=duplicate.pk)
    assert gone.deleted_at is not None
    assert gone.status_reason == f"Merged {duplicate.reference} into {keep.reference}: Même zone"
    assert (gone.area_cleared_m2, gone.remaining_area_m2) == (0, pytest.approx(gone.area_m2))


def test_released_area_may_not_exceed_the_merged_area(officer_user, partner_a, partner_b, past):
    # The same land cleared twice, reported by two partners on two nearly identical polygons.
    keep = _hazard(officer_user, partner_a, past)
    duplicate = _hazard(officer_user, partner_b, past, where=_shifted(0.0001))
    _clearance(officer_user, partner_a, keep, past, square(_shifted(0.0005, 0.0005), 0.009))
    _clearance(officer_user, partner_b, duplicate, past, square(_shifted(0.0005, 0.0005), 0.009))
    with pytest.raises(ApplicationError) as exc:
        hazard_area_merge(keep=keep, duplicate=duplicate, user=officer_user)
    assert "more than the merged area" in exc.value.errors["duplicate"][0]
    # Nothing merged.
    assert HazardArea.objects.filter(pk=duplicate.pk).exists()
    assert HazardArea.objects.get(pk=keep.pk).area_m2 == pytest.approx(keep.area_m2)


def test_merging_hazards_needs_the_authority(surveyed, alice):
    with pytest.raises(PermissionDenied):
        hazard_area_merge(keep=surveyed["first"], duplicate=surveyed["same"], user=alice)


# --- API ------------------------------------------------------------------------------------


def test_overlaps_endpoint(api_officer, surveyed):
    response = api_officer.get(f"/api/v1/hazard-areas/{surveyed['first'].pk}/overlaps/")
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body] == [surveyed["north"].pk, surveyed["same"].pk]
    geojson = api_officer.get(f"/api/v1/hazard-areas/{surveyed['first'].pk}/overlaps/?format=geojson").json()
    assert [(f["id"], f["geometry"]["type"]) for f in geojson["features"]] == [
        (surveyed["north"].pk, "MultiPolygon"),
        (surveyed["same"].pk, "MultiPolygon"),
    ]
    assert set(body[1]) == {
        "id", "reference", "organisation", "status", "hazard_status", "land_class", "survey_date", "geometry",
        "area_m2", "overlap_m2", "share",
    }  # fmt: skip
    assert (body[1]["reference"], body[1]["organisation"], body[1]["share"]) == (
        surveyed["same"].reference,
        "DRC",
        pytest.approx(0.8, abs=0.01),
    )


def test_merge_endpoint(api_officer, api_alice, surveyed):
    url = f"/api/v1/hazard-areas/{surveyed['first'].pk}/merge/"
    denied = api_alice.post(url, {"duplicate": surveyed["same"].pk}, format="json")
    assert denied.status_code == 403

    response = api_officer.post(url, {"duplicate": surveyed["same"].pk, "reason": "Même zone"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == surveyed["first"].pk
    assert response.json()["area_m2"] == pytest.approx(1.2 * surveyed["first"].area_m2, rel=0.01)
    assert api_officer.get(f"/api/v1/hazard-areas/{surveyed['same'].pk}/").status_code == 404
    history = api_officer.get(f"/api/v1/hazard-areas/{surveyed['first'].pk}/history/").json()
    assert (history[-1]["action"], history[-1]["user"]) == ("merge", "awa")
