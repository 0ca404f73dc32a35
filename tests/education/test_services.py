import pytest

from core.exceptions import ApplicationError
from education.models import RiskEducationSession
from education.services import risk_education_session_create, risk_education_session_update
from reference.models import Locality
from tests.geo import MOPTI, PARIS, point

pytestmark = pytest.mark.django_db


def _session(user, organisation, past, **data):
    fields = {
        "session_date": past,
        "location": point(MOPTI),
        "method": "direct",
        "target_group": "school",
        "girls": 25,
        "boys": 31,
        "women": 4,
        "men": 2,
        "with_disability": 3,
        **data,
    }
    return risk_education_session_create(user=user, organisation=organisation, data=fields)


def test_a_session_records_sex_and_age_disaggregated_beneficiaries(officer, partner_a, past):
    session = _session(officer, partner_a, past)
    assert session.beneficiaries == 62
    assert session.admin_area.pcode == "ML05"
    assert session.reference.startswith("ML-RE-")
    assert session.status == "draft"


def test_counts_are_never_negative_and_disability_within_the_total(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _session(officer, partner_a, past, boys=-1)
    assert exc.value.errors["boys"][0] == "A count or an area can never be negative."

    with pytest.raises(ApplicationError) as exc:
        _session(officer, partner_a, past, with_disability=70)
    assert exc.value.errors == {
        "with_disability": ["People with a disability (70) cannot outnumber the beneficiaries (62)."]
    }
    assert not RiskEducationSession.objects.exists()


def test_a_direct_session_reaches_someone_but_mass_media_may_be_unknown(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _session(officer, partner_a, past, girls=0, boys=0, women=0, men=0, with_disability=0)
    assert exc.value.errors == {"non_field_errors": ["A direct session reaches at least one girl, boy, woman or man."]}
    radio = _session(officer, partner_a, past, method="mass_media", girls=0, boys=0, women=0, men=0, with_disability=0)
    assert radio.beneficiaries == 0


def test_location_from_a_locality_and_inside_the_country(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _session(officer, partner_a, past, location=point(PARIS))
    assert exc.value.errors == {"location": ["The location lies outside the country."]}
    timbuktu = Locality.objects.get(name="Timbuktu")
    session = _session(officer, partner_a, past, location=None, locality=timbuktu)
    assert session.admin_area.pcode == "ML06"


def test_update_runs_the_same_rules(officer, partner_a, past):
    session = _session(officer, partner_a, past)
    with pytest.raises(ApplicationError) as exc:
        risk_education_session_update(session=session, user=officer, data={"girls": 0, "boys": 0, "with_disability": 9})
    assert "with_disability" in exc.value.errors
    session.refresh_from_db()
    assert session.girls == 25
