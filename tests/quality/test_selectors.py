import datetime

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import RecordStatus
from incidents.models import Casualty
from quality.selectors import (
    CHECKS,
    data_quality_report,
    hazard_areas_outside_country,
    hazard_areas_sliver,
    hazard_areas_vertex_jump,
    incidents_outside_country,
)
from reference.selectors import country_area
from tests.geo import GAO, MOPTI, PARIS, bowtie, point, square
from tests.quality.conftest import (
    make_activity,
    make_community_report,
    make_hazard,
    make_incident,
    make_session,
)

pytestmark = pytest.mark.django_db


def _check(user, code, **kwargs):
    return next(result for result in data_quality_report(user=user, **kwargs) if result.code == code)


def _listed(result) -> dict[str, str]:
    return {finding.reference: finding.detail for finding in result.findings}


def _strip(lon_lat=MOPTI, width=0.00001, length=0.01) -> Polygon:
    """A north-south strip: `width` degrees of longitude by `length` degrees of latitude."""
    x, y = lon_lat
    return Polygon(((x, y), (x + width, y), (x + width, y + length), (x, y + length), (x, y)), srid=4326)


# --- The report's shape -------------------------------------------------------------------


def test_report_lists_every_check_in_order_with_codes_labels_and_groups(authority_officer):
    report = data_quality_report(user=authority_officer)

    assert [result.code for result in report] == [
        "invalid_polygon",
        "sliver",
        "duplicate_geometry",
        "duplicate_incident",
        "vertex_jump",
        "outside_country",
        "missing_casualties",
        "unknown_device_category",
        "missing_contamination_types",
        "casualty_unknown_sex_age",
        "eore_no_beneficiaries",
        "reclassified_ap_mine",
    ]
    assert {result.group for result in report} == {"geometry", "required_fields", "reclassification"}
    assert all(result.count == 0 and result.findings == [] for result in report)
    assert _check(authority_officer, "vertex_jump").label == "Consecutive vertices too far apart"
    assert _check(authority_officer, "vertex_jump").description == (
        "Two consecutive vertices of a hazardous area are more than 20 km apart."
    )


def test_clean_records_are_not_listed(authority_officer, partner_a):
    make_hazard(partner_a)
    make_activity(partner_a, cleared_geometry=square(MOPTI, 0.002))
    make_incident(partner_a)
    make_session(partner_a)
    make_community_report(partner_a)

    report = data_quality_report(user=authority_officer)

    assert {result.code: result.count for result in report if result.count} == {}


def test_a_finding_carries_record_type_status_organisation_and_admin_link(authority_officer, partner_a):
    hazard = make_hazard(partner_a, bowtie(MOPTI), status=RecordStatus.SUBMITTED)

    [finding] = _check(authority_officer, "invalid_polygon").findings

    assert finding.code == "invalid_polygon"
    assert finding.record_type == "hazards.hazardarea"
    assert finding.record_type_label == "hazardous area"
    assert finding.record_id == hazard.pk
    assert finding.reference == hazard.reference
    assert finding.status == "submitted"
    assert finding.status_label == "Submitted"
    assert finding.organisation == "HI"
    assert finding.admin_url == f"/admin/hazards/hazardarea/{hazard.pk}/change/"


# --- Geometry: GICHD geocheck rules ---------------------------------------------------------


def test_invalid_polygons_are_listed_with_the_reason_from_postgis(authority_officer, partner_a):
    make_hazard(partner_a)
    crossed = make_hazard(partner_a, bowtie(MOPTI))
    # Fewer than 3 distinct vertices (GICHD): ST_IsValid fails it too.
    x, y = MOPTI
    two_vertices = make_hazard(
        partner_a, Polygon(((x, y), (x + 0.01, y + 0.01), (x + 0.01, y + 0.01), (x, y)), srid=4326)
    )
    activity = make_activity(partner_a, cleared_geometry=bowtie(GAO), reduced_geometry=square(GAO, 0.001))

    result = _check(authority_officer, "invalid_polygon")

    assert result.count == 3
    assert _listed(result) == {
        crossed.reference: "Self-intersection[-4.185 14.495]",
        two_vertices.reference: "Too few points in geometry component[-4.19 14.49]",
        activity.reference: "cleared polygon: Self-intersection[-0.035 16.275]",
    }
    assert {finding.record_type for finding in result.findings} == {
        "hazards.hazardarea",
        "hazards.landreleaseactivity",
    }


def test_slivers_are_listed_with_their_thinness_and_area(authority_officer, partner_a):
    make_hazard(partner_a)
    # A 1:50 strip (20 m by 1.1 km) is thin but plausible along a track.
    make_hazard(partner_a, _strip(width=0.0002))
    # About 1 m by 1.1 km.
    thin = make_hazard(partner_a, _strip(width=0.00001))
    # About 1 m by 1 m.
    tiny = make_hazard(partner_a, square(GAO, 0.00001))
    # A sound square with a sliver as second part.
    two_parts = make_hazard(
        partner_a, MultiPolygon(square(GAO, 0.01), _strip((GAO[0] + 0.05, GAO[1]), length=0.02), srid=4326)
    )
    # A bow-tie has no meaningful area: the invalid polygon check reports it, not this one.
    make_hazard(partner_a, bowtie(MOPTI))

    result = _check(authority_officer, "sliver")

    assert result.count == 3
    details = _listed(result)
    assert set(details) == {thin.reference, tiny.reference, two_parts.reference}
    assert details[thin.reference] == "Part 1: thinness ratio 0.0031, area 1,192.7 m²"
    assert details[tiny.reference].startswith("Part 1: thinness ratio 0.78")
    assert details[two_parts.reference].startswith("Part 2: thinness ratio 0.0015, area 2,3")
    slivers = {hazard.reference: hazard.sliver for hazard in hazard_areas_sliver(user=authority_officer)}
    _thinness, area, part = slivers[tiny.reference]
    # 0.00001 degree: 1.08 m east-west (times cos 16.27°) by 1.11 m north-south.
    assert area == pytest.approx(1.07 * 1.106, rel=0.02)
    assert part == 1


def test_duplicate_polygons_are_grouped_under_the_first_recorded(authority_officer, partner_a, partner_b):
    first = make_hazard(partner_a, square(MOPTI, 0.01))
    # The same square drawn from another corner, the other way round.
    x, y = MOPTI
    redrawn = make_hazard(
        partner_b,
        Polygon(((x + 0.01, y + 0.01), (x + 0.01, y), (x, y), (x, y + 0.01), (x + 0.01, y + 0.01)), srid=4326),
    )
    copy = make_hazard(partner_a, square(MOPTI, 0.01))
    make_hazard(partner_a, square(MOPTI, 0.02))
    # Invalid polygons are compared too, without GEOS failing on them.
    crossed = make_hazard(partner_a, bowtie(GAO))
    crossed_again = make_hazard(partner_a, bowtie(GAO))

    result = _check(authority_officer, "duplicate_geometry")

    assert result.count == 3
    assert _listed(result) == {
        redrawn.reference: f"Same polygon as {first.reference}",
        copy.reference: f"Same polygon as {first.reference}, {redrawn.reference}",
        crossed_again.reference: f"Same polygon as {crossed.reference}",
    }


def test_duplicate_incidents_share_the_point_and_the_date(authority_officer, partner_a):
    first = make_incident(partner_a, point(MOPTI))
    again = make_incident(partner_a, point(MOPTI))
    make_incident(partner_a, point(MOPTI), incident_date=datetime.date(2024, 3, 16))
    make_incident(partner_a, point((MOPTI[0] + 0.0001, MOPTI[1])))

    result = _check(authority_officer, "duplicate_incident")

    assert result.count == 1
    assert _listed(result) == {again.reference: f"Same place and date as {first.reference}"}


def test_vertex_jumps_are_measured_on_the_spheroid(authority_officer, partner_a):
    x, y = MOPTI
    # Vertex 3 was typed 0.45 degree (about 50 km) north of its neighbours.
    jump = make_hazard(
        partner_a,
        Polygon(((x, y), (x + 0.01, y), (x + 0.01, y + 0.45), (x, y + 0.01), (x, y)), srid=4326),
    )
    # Past both planar filters (0.18 degree), yet every edge is under 20 km on the spheroid (19.9 km at most).
    make_hazard(partner_a, square(GAO, 0.18))
    make_hazard(partner_a)

    result = _check(authority_officer, "vertex_jump")

    assert result.count == 1
    assert _listed(result) == {jump.reference: "49.8 km between vertices 2 and 3 (part 1, ring 1); 2 edges over 20 km"}
    [annotated] = hazard_areas_vertex_jump(user=authority_officer)
    metres, jumps, part, ring, vertex = annotated.jump
    # 0.45 degree of latitude at 14.5° N: 110.64 km per degree.
    assert metres == pytest.approx(0.45 * 110_643, rel=0.001)
    assert (jumps, part, ring, vertex) == (2, 1, 1, 2)


def test_records_outside_the_country_are_listed_with_their_distance(authority_officer, partner_a):
    paris_area = make_hazard(partner_a, square(PARIS, 0.01))
    # A square centred on a vertex of the national boundary lies partly outside.
    bx, by = country_area().geometry[0][0][0]
    on_border = make_hazard(partner_a, square((bx - 0.01, by - 0.01), 0.02))
    make_hazard(partner_a)
    incident = make_incident(partner_a, point(PARIS))
    session = make_session(partner_a, point(PARIS))
    community_report = make_community_report(partner_a, point(PARIS))
    activity = make_activity(partner_a, point(MOPTI), cleared_geometry=square(PARIS, 0.001))
    make_incident(partner_a)
    make_session(partner_a)
    make_community_report(partner_a)
    make_activity(partner_a)

    result = _check(authority_officer, "outside_country")

    assert result.count == 6
    details = _listed(result)
    assert set(details) == {
        paris_area.reference,
        on_border.reference,
        incident.reference,
        session.reference,
        community_report.reference,
        activity.reference,
    }
    assert details[on_border.reference] == "Partly outside the country"
    assert details[paris_area.reference].startswith("Entirely outside, 2,")
    assert details[paris_area.reference].endswith(" km from the border")
    assert details[incident.reference].endswith("km from the border (longitude 2.35000, latitude 48.85000)")
    assert details[activity.reference] == "Outside the country: cleared polygon"
    country = country_area()
    [far] = incidents_outside_country(user=authority_officer, country=country)
    # Paris lies about 2,600 km north of Mali's northern tip (about 25° N).
    assert 2_400_000 < far.distance_m < 2_800_000
    distances = {
        h.reference: h.distance_m for h in hazard_areas_outside_country(user=authority_officer, country=country)
    }
    assert distances[on_border.reference] == 0


def test_outside_country_is_not_run_without_the_country_boundary(authority_officer, partner_a, settings):
    settings.COUNTRY_ISO = "XX"
    make_incident(partner_a, point(PARIS))

    result = _check(authority_officer, "outside_country")

    assert result.count is None
    assert result.findings == []


# --- Fields the official figures need ------------------------------------------------------


def test_incidents_without_casualties(authority_officer, partner_a):
    make_incident(partner_a)
    bare = make_incident(partner_a, casualties=0, incident_class="uxo_axo")

    result = _check(authority_officer, "missing_casualties")

    assert _listed(result) == {bare.reference: "No casualty recorded (UXO/AXO accident, 03/15/2024)"}


def test_incidents_with_an_unknown_device_category(authority_officer, partner_a):
    make_incident(partner_a)
    unknown = make_incident(partner_a, device_category="unknown", device_category_reported="unknown")

    result = _check(authority_officer, "unknown_device_category")

    assert _listed(result) == {
        unknown.reference: "Device category unknown (Improvised mine / IED accident, 03/15/2024)"
    }


def test_hazard_areas_without_contamination_types(authority_officer, partner_a):
    make_hazard(partner_a)
    empty = make_hazard(partner_a, land_class="sha", contamination_types=[])

    result = _check(authority_officer, "missing_contamination_types")

    assert _listed(result) == {empty.reference: "No contamination type (Suspected hazardous area (SHA))"}


def test_casualties_of_unknown_sex_and_age(authority_officer, partner_a):
    incident = make_incident(partner_a, casualties=0)
    unknown = Casualty.objects.create(incident=incident, outcome="killed")
    # Either the sex or the age is enough to place a casualty in a table.
    Casualty.objects.create(incident=incident, outcome="killed", sex="female")
    Casualty.objects.create(incident=incident, outcome="killed", age_group="child")
    Casualty.objects.create(incident=incident, outcome="killed", age=40)

    result = _check(authority_officer, "casualty_unknown_sex_age")

    [finding] = result.findings
    assert finding.reference == incident.reference
    assert finding.record_type == "incidents.casualty"
    assert finding.record_id == unknown.pk
    assert finding.detail == f"Casualty no. {unknown.pk} (Killed): sex and age unknown"
    assert finding.admin_url == f"/admin/incidents/casualty/{unknown.pk}/change/"


def test_direct_risk_education_sessions_without_beneficiaries(authority_officer, partner_a):
    make_session(partner_a)
    make_session(partner_a, method="mass_media", women=0, men=0)
    empty = make_session(partner_a, target_group="school", women=0, men=0)

    result = _check(authority_officer, "eore_no_beneficiaries")

    assert _listed(result) == {empty.reference: "No beneficiary counted (Schoolchildren, 03/15/2024)"}


# --- Mali rule ---------------------------------------------------------------------------------


def test_reclassified_improvised_av_mines_are_listed(authority_officer, partner_a):
    make_incident(partner_a)
    make_incident(partner_a, device_category="improvised_av_mine", device_category_reported="improvised_av_mine")
    reclassified = make_incident(
        partner_a, device_category="improvised_ap_mine", device_category_reported="improvised_av_mine"
    )

    result = _check(authority_officer, "reclassified_ap_mine")

    assert _listed(result) == {
        reclassified.reference: "Reported as Improvised anti-vehicle mine, counted as Improvised anti-personnel mine"
    }


def test_reclassified_items_found_community_reports_and_hazards_are_listed(
    authority_officer, partner_a, partner_b, partner_member
):
    from hazards.models import ItemFound

    task = make_activity(partner_a, kind="eod_spot_task")
    ItemFound.objects.create(activity=task, category="improvised_ap_mine", category_reported="improvised_av_mine",
                             quantity=2)  # fmt: skip
    ItemFound.objects.create(activity=task, category="improvised_ap_mine", category_reported="improvised_av_mine")
    ItemFound.objects.create(activity=task, category="improvised_av_mine")
    ItemFound.objects.create(activity=make_activity(partner_a, kind="eod_spot_task"), category="improvised_av_mine")
    report = make_community_report(
        partner_a, item_category="improvised_ap_mine", item_category_reported="improvised_av_mine"
    )
    make_community_report(partner_a, item_category="improvised_av_mine")
    hazard = make_hazard(
        partner_a,
        contamination_types=["improvised_ap_mines", "axo"],
        contamination_types_reported=["improvised_av_mines", "axo"],
    )
    make_hazard(partner_a, square(GAO, 0.01), contamination_types=["improvised_av_mines"])
    # Another partner's draft: not listed to partner A's data manager.
    other = make_community_report(
        partner_b, item_category="improvised_ap_mine", item_category_reported="improvised_av_mine"
    )

    result = _check(authority_officer, "reclassified_ap_mine")

    assert _listed(result) == {
        task.reference: (
            "Items found: 3 reported as Improvised anti-vehicle mine, counted as Improvised anti-personnel mine"
        ),
        report.reference: "Reported as Improvised anti-vehicle mine, counted as Improvised anti-personnel mine",
        other.reference: "Reported as Improvised anti-vehicle mine, counted as Improvised anti-personnel mine",
        hazard.reference: (
            "Contamination reported as Improvised anti-vehicle mines, Abandoned explosive ordnance, "
            "counted as Improvised anti-personnel mines, Abandoned explosive ordnance"
        ),
    }
    assert {f.record_type for f in result.findings} == {
        "hazards.landreleaseactivity",
        "community.communityreport",
        "hazards.hazardarea",
    }
    assert set(_listed(_check(partner_member, "reclassified_ap_mine"))) == {
        task.reference,
        report.reference,
        hazard.reference,
    }


# --- Scope and cost ------------------------------------------------------------------------------


def test_a_partner_sees_its_own_records_and_approved_ones_only(partner_member, partner_a, partner_b):
    own_draft = make_hazard(partner_a, bowtie(MOPTI))
    other_approved = make_hazard(partner_b, bowtie(GAO), status=RecordStatus.APPROVED)
    make_hazard(partner_b, bowtie(MOPTI, 0.02))
    own_incident = make_incident(partner_a, point(PARIS))
    make_incident(partner_b, point(PARIS))
    # A duplicate of another partner's draft is not a duplicate of anything this partner may see.
    make_hazard(partner_b, square(GAO, 0.01))
    make_hazard(partner_a, square(GAO, 0.01))

    report = {result.code: result for result in data_quality_report(user=partner_member)}

    assert set(_listed(report["invalid_polygon"])) == {own_draft.reference, other_approved.reference}
    assert report["invalid_polygon"].count == 2
    assert set(_listed(report["outside_country"])) == {own_incident.reference}
    assert report["duplicate_geometry"].count == 0


def test_the_first_findings_are_listed_and_every_one_is_counted(authority_officer, partner_a):
    hazards = [make_hazard(partner_a, bowtie(MOPTI)) for _ in range(3)]

    result = _check(authority_officer, "invalid_polygon", limit=2)

    assert result.count == 3
    assert result.truncated
    assert [finding.reference for finding in result.findings] == sorted(h.reference for h in hazards)[:2]


def _bad_records(organisation, n: int) -> None:
    x, y = MOPTI
    for i in range(n):
        offset = (x + i * 0.05, y)
        make_hazard(organisation, bowtie(offset), contamination_types=[])
        make_hazard(organisation, _strip(offset))
        make_hazard(organisation, square(GAO, 0.01))
        make_hazard(
            organisation,
            Polygon(((x, y), (x + 0.01, y), (x + 0.01, y + 0.45), (x, y + 0.01), (x, y)), srid=4326),
        )
        make_hazard(organisation, square(PARIS, 0.01))
        make_activity(organisation, point(PARIS), cleared_geometry=bowtie(offset))
        incident = make_incident(
            organisation,
            point(PARIS),
            casualties=0,
            device_category="improvised_ap_mine",
            device_category_reported="improvised_av_mine",
        )
        make_incident(organisation, point(PARIS), device_category="unknown", device_category_reported="unknown")
        Casualty.objects.create(incident=incident, outcome="injured")
        make_session(organisation, point(PARIS), women=0, men=0)
        make_community_report(organisation, point(PARIS))


def _queries(user, limit) -> int:
    with CaptureQueriesContext(connection) as queries:
        data_quality_report(user=user, limit=limit)
    return len(queries)


def test_the_report_runs_a_bounded_number_of_queries(authority_officer, partner_a):
    sources = sum(len(check.sources) for check in CHECKS)
    # The country, then per source one query, and a count when the list is full.
    bound = 1 + 2 * sources
    # Who the user is gets cached on the user object by the first scoped query.
    data_quality_report(user=authority_officer, limit=2)

    _bad_records(partner_a, 3)
    with_3 = _queries(authority_officer, limit=2)
    _bad_records(partner_a, 5)
    with_8 = _queries(authority_officer, limit=2)

    assert with_3 == with_8 <= bound
    # With room for every finding, no count query is needed.
    assert _queries(authority_officer, limit=1000) == 1 + sources
