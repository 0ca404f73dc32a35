import pytest

from community.models import CommunityReport
from community.services import community_report_create, community_report_to_hazard_area, community_report_to_spot_task
from core.exceptions import ApplicationError
from hazards.models import HazardArea
from tests.geo import GAO, PARIS, point, square

pytestmark = pytest.mark.django_db


def _report(user, organisation, past, **data):
    fields = {
        "report_date": past,
        "subject": "item",
        "location": point(GAO),
        "item_category": "uxo",
        "item_count": 2,
        "reporter_name": "Chef de village",
        **data,
    }
    return community_report_create(user=user, organisation=organisation, data=fields)


def test_a_reported_item_becomes_an_eod_spot_task(officer, partner_a, authority, past):
    report = _report(officer, partner_a, past)
    task = community_report_to_spot_task(report=report, user=officer, organisation=authority, start_date=past)
    report.refresh_from_db()
    assert (report.outcome, report.spot_task) == ("spot_task", task)
    assert task.kind == "eod_spot_task"
    assert task.location == report.location
    assert task.admin_area.pcode == "ML07"

    with pytest.raises(ApplicationError) as exc:
        community_report_to_spot_task(report=report, user=officer, organisation=authority, start_date=past)
    assert exc.value.errors == {"outcome": ["The report is no longer pending."]}


def test_a_reported_area_becomes_a_suspected_hazardous_area(officer, partner_a, authority, past):
    report = _report(officer, partner_a, past, subject="area", suspected_area=square(GAO), description="Champ miné")
    hazard = community_report_to_hazard_area(report=report, user=officer, organisation=authority)
    report.refresh_from_db()
    assert report.hazard_area == hazard
    assert (hazard.land_class, hazard.evidence, hazard.evidence_description) == ("sha", "indirect", "Champ miné")
    assert hazard.area_m2 > 1_000_000


def test_a_hazardous_area_needs_a_polygon(officer, partner_a, authority, past):
    report = _report(officer, partner_a, past, subject="area")
    with pytest.raises(ApplicationError) as exc:
        community_report_to_hazard_area(report=report, user=officer, organisation=authority)
    assert exc.value.errors == {"geometry": ["This field is required."]}
    assert not HazardArea.objects.exists()
    report.refresh_from_db()
    assert report.outcome == "pending"


def test_report_rules(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _report(officer, partner_a, past, location=point(PARIS), item_count=-1, suspected_area=square(PARIS))
    assert exc.value.errors == {
        "location": ["The location lies outside the country."],
        "suspected_area": ["The location lies outside the country."],
        "item_count": ["A count or an area can never be negative."],
    }
    assert not CommunityReport.objects.exists()
