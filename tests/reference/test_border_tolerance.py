"""BORDER_TOLERANCE_M: a place just outside the country is accepted, placed in the nearest area
and listed by the quality report with its distance; beyond the tolerance, the message says how
far out it lies. At 0 (the default), today's refusal."""

import datetime

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from core import policy
from core.exceptions import ApplicationError
from core.validation import Problems, check_location
from incidents.services import incident_create
from quality.selectors import data_quality_report, incidents_outside_country
from reference.models import AdministrativeArea
from reference.selectors import admin_area_for_geometry, country_area, distance_outside_country
from reference.services import LoadResult, admin_area_upsert

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 15)


@pytest.fixture
def tip() -> tuple[float, float]:
    """Mali's northernmost vertex: every point of the boundary lies south of it, so a point due
    north of it is exactly that far outside."""
    ring = max(country_area().geometry, key=lambda polygon: polygon.area)[0]
    return max(ring.coords, key=lambda xy: xy[1])


def _north_of(tip, degrees: float) -> Point:
    return Point(tip[0], tip[1] + degrees, srid=4326)


def _incident(organisation, location):
    return incident_create(
        user=policy.SYSTEM,
        organisation=organisation,
        data={"incident_class": "mine", "incident_date": DAY, "location": location},
    )


def test_the_distance_outside_is_measured_on_the_spheroid(tip):
    # 0.002 degree of latitude at 25° N: 221.5 m.
    assert distance_outside_country(_north_of(tip, 0.002)) == pytest.approx(221.5, abs=0.5)
    assert distance_outside_country(_north_of(tip, 0.02)) == pytest.approx(2215, abs=2)
    assert distance_outside_country(Point(tip[0], tip[1] - 0.01, srid=4326)) == 0


def test_without_tolerance_a_place_just_outside_is_refused_as_before(tip, authority, settings):
    assert settings.BORDER_TOLERANCE_M == 0

    with pytest.raises(ApplicationError) as exc:
        _incident(authority, _north_of(tip, 0.002))

    assert exc.value.errors == {"location": ["The location lies outside the country."]}
    assert admin_area_for_geometry(_north_of(tip, 0.002)) is None


def test_within_tolerance_a_place_is_accepted_placed_and_listed_with_its_distance(tip, authority, officer, settings):
    settings.BORDER_TOLERANCE_M = 500
    inside_tip = admin_area_for_geometry(Point(tip[0], tip[1] - 0.001, srid=4326))

    incident = _incident(authority, _north_of(tip, 0.002))

    # Placed in the région whose border it is near, never left without an area.
    assert incident.admin_area == inside_tip
    assert incident.admin_area.level == AdministrativeArea.Level.ADMIN1
    # Flagged: the quality report's "outside the country" lists it with its distance.
    [listed] = incidents_outside_country(user=officer, country=country_area())
    assert listed.pk == incident.pk
    assert listed.distance_m == pytest.approx(221.5, abs=0.5)
    outside = next(check for check in data_quality_report(user=officer) if check.code == "outside_country")
    details = {finding.reference: finding.detail for finding in outside.findings}
    assert details[incident.reference] == (
        f"0.2 km from the border (longitude {tip[0]:.5f}, latitude {tip[1] + 0.002:.5f})"
    )


@pytest.mark.parametrize(
    ("tolerance", "degrees", "message"),
    [
        (500, 0.02, "The location lies 2.2 km outside the country (tolerance 500 m)."),
        (100, 0.002, "The location lies 222 m outside the country (tolerance 100 m)."),
        (1500, 0.02, "The location lies 2.2 km outside the country (tolerance 1.5 km)."),
    ],
)
def test_beyond_tolerance_the_message_says_how_far_outside(tip, authority, settings, tolerance, degrees, message):
    settings.BORDER_TOLERANCE_M = tolerance

    with pytest.raises(ApplicationError) as exc:
        _incident(authority, _north_of(tip, degrees))

    assert exc.value.errors == {"location": [message]}
    assert admin_area_for_geometry(_north_of(tip, degrees)) is None


def test_a_polygon_across_the_border_is_measured_by_its_part_farthest_out(tip, settings):
    x, y = tip
    # A square 0.002 degree wide centred on the tip: its northern edge lies 0.001 degree (111 m) north.
    across = MultiPolygon(
        Polygon(((x - 0.001, y - 0.001), (x + 0.001, y - 0.001), (x + 0.001, y + 0.001), (x - 0.001, y + 0.001),
                 (x - 0.001, y - 0.001)), srid=4326),
        srid=4326,
    )  # fmt: skip
    farthest = distance_outside_country(across)
    assert 110 < farthest < 160

    settings.BORDER_TOLERANCE_M = 200
    problems = Problems()
    check_location(across, "geometry", problems, kind="MultiPolygon")
    assert not problems

    settings.BORDER_TOLERANCE_M = 50
    problems = Problems()
    check_location(across, "geometry", problems, kind="MultiPolygon")
    assert problems.errors == {
        "geometry": [f"The location lies {int(farthest) + 1} m outside the country (tolerance 50 m)."]
    }


def test_of_areas_as_near_the_most_detailed_is_chosen(tip, settings):
    settings.BORDER_TOLERANCE_M = 500
    region = admin_area_for_geometry(Point(tip[0], tip[1] - 0.001, srid=4326))
    # A cercle cut from the région around the tip: the région's border there is the cercle's.
    corner = Polygon.from_bbox((tip[0] - 0.5, tip[1] - 0.5, tip[0] + 0.5, tip[1] + 0.5))
    corner.srid = 4326
    cercle = admin_area_upsert(
        level=2, pcode=f"{region.pcode}99", name_fr="Cercle du nord", geometry=region.geometry.intersection(corner),
        valid_from=DAY, parent=region, result=LoadResult(),
    )  # fmt: skip

    assert admin_area_for_geometry(_north_of(tip, 0.002)) == cercle
