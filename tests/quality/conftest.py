"""Bad records for the data-quality report, written with the ORM: the services refuse them."""

import datetime
import itertools

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon

from community.models import CommunityReport
from education.models import RiskEducationSession
from hazards.models import HazardArea, LandReleaseActivity
from incidents.models import Casualty, Incident
from tests.geo import MOPTI, point, square

PAST = datetime.date(2024, 3, 15)
_numbers = itertools.count(1)


def _reference(prefix: str) -> str:
    return f"QA-{prefix}-{next(_numbers):05d}"


def _multipolygon(geometry: GEOSGeometry | None) -> MultiPolygon | None:
    if isinstance(geometry, Polygon):
        return MultiPolygon(geometry, srid=geometry.srid)
    return geometry


def make_hazard(organisation, geometry=None, **fields) -> HazardArea:
    values = {
        "reference": _reference("HA"),
        "land_class": "cha",
        "evidence": "direct",
        "hazard_status_date": PAST,
        "survey_date": PAST,
        "contamination_types": ["improvised_ap_mines"],
        **fields,
    }
    return HazardArea.objects.create(
        organisation=organisation, geometry=_multipolygon(geometry or square(MOPTI, 0.01)), **values
    )


def make_activity(organisation, location=None, **fields) -> LandReleaseActivity:
    for name in ("cancelled_geometry", "reduced_geometry", "cleared_geometry"):
        if name in fields:
            fields[name] = _multipolygon(fields[name])
    values = {"reference": _reference("LR"), "kind": "clearance", "start_date": PAST, **fields}
    return LandReleaseActivity.objects.create(organisation=organisation, location=location or point(MOPTI), **values)


def make_incident(organisation, location=None, *, casualties: int = 1, **fields) -> Incident:
    values = {
        "reference": _reference("INC"),
        "incident_class": "improvised",
        "incident_date": PAST,
        "device_category": "improvised_ap_mine",
        "device_category_reported": "improvised_ap_mine",
        **fields,
    }
    incident = Incident.objects.create(organisation=organisation, location=location or point(MOPTI), **values)
    for _ in range(casualties):
        Casualty.objects.create(incident=incident, outcome="injured", sex="male", age=34, age_group="adult")
    return incident


def make_session(organisation, location=None, **fields) -> RiskEducationSession:
    values = {
        "reference": _reference("EORE"),
        "session_date": PAST,
        "method": "direct",
        "target_group": "general",
        "women": 12,
        "men": 9,
        **fields,
    }
    return RiskEducationSession.objects.create(organisation=organisation, location=location or point(MOPTI), **values)


def make_community_report(organisation, location=None, **fields) -> CommunityReport:
    values = {"reference": _reference("CR"), "report_date": PAST, "subject": "item", **fields}
    return CommunityReport.objects.create(organisation=organisation, location=location or point(MOPTI), **values)


@pytest.fixture
def authority_officer(officer, authority):
    """The authority's information management officer (the `officer` persona is authority staff)."""
    assert officer.profile.organisation == authority
    return officer


@pytest.fixture
def partner_member(partner_user, partner_a):
    """A data manager of the partner NGO HI (the `partner_user` persona)."""
    assert partner_user.profile.organisation == partner_a
    return partner_user
