import datetime

import pytest

from assistance.models import AssistanceService
from assistance.services import assistance_service_create, assistance_service_update, survivor_create
from core.exceptions import ApplicationError
from incidents.services import incident_create
from tests.geo import MOPTI, point

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(officer, partner_a, past):
    return incident_create(
        user=officer,
        organisation=partner_a,
        data={
            "incident_class": "mine",
            "incident_date": past,
            "location": point(MOPTI),
            "device_category_reported": "ap_mine",
        },
        casualties=[{"outcome": "injured", "age": 15}, {"outcome": "killed", "age": 40}],
    )


@pytest.fixture
def survivor(incident, officer, partner_a):
    return survivor_create(
        user=officer, organisation=partner_a, data={"casualty": incident.casualties.get(outcome="injured")}
    )


def test_only_an_injured_casualty_becomes_a_survivor(incident, officer, partner_a, survivor):
    assert survivor.casualty.age == 15
    with pytest.raises(ApplicationError) as exc:
        survivor_create(
            user=officer, organisation=partner_a, data={"casualty": incident.casualties.get(outcome="killed")}
        )
    assert exc.value.errors == {"casualty": ["Only an injured casualty can be followed as a survivor."]}


def test_a_survivor_is_followed_once(survivor, officer, partner_b):
    with pytest.raises(ApplicationError) as exc:
        survivor_create(user=officer, organisation=partner_b, data={"casualty": survivor.casualty})
    assert exc.value.errors == {"casualty": ["Survivor with this Casualty already exists."]}


def test_services_given_to_a_survivor(survivor, officer, partner_a, past):
    prosthesis = assistance_service_create(
        user=officer,
        organisation=partner_a,
        survivor=survivor,
        data={
            "service_type": "prosthesis",
            "provider": partner_a,
            "start_date": past + datetime.timedelta(30),
            "end_date": past + datetime.timedelta(90),
            "outcome": "completed",
        },
    )
    assert list(survivor.services.all()) == [prosthesis]


def test_service_rules(survivor, officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        assistance_service_create(
            user=officer,
            organisation=partner_a,
            survivor=survivor,
            data={
                "service_type": "physiotherapy",
                "start_date": past - datetime.timedelta(10),
                "end_date": past - datetime.timedelta(20),
                "outcome": "ongoing",
            },
        )
    assert exc.value.errors == {
        "end_date": ["The end date cannot be before the start date."],
        "provider": ["Name the provider: an organisation or, failing that, a name."],
        "start_date": [f"A service cannot start before the incident ({past})."],
    }
    with pytest.raises(ApplicationError) as exc:
        assistance_service_create(
            user=officer,
            organisation=partner_a,
            survivor=survivor,
            data={
                "service_type": "psychological",
                "provider_name": "Association des survivants de Mopti",
                "start_date": past,
                "outcome": "completed",
            },
        )
    assert exc.value.errors == {"end_date": ["A completed service has an end date."]}
    assert not AssistanceService.objects.exists()


def test_a_service_is_updated_under_the_same_rules(survivor, officer, partner_a, past):
    service = assistance_service_create(
        user=officer,
        organisation=partner_a,
        survivor=survivor,
        data={"service_type": "referral", "provider_name": "CSCOM", "start_date": past},
    )
    with pytest.raises(ApplicationError):
        assistance_service_update(service=service, user=officer, data={"outcome": "completed"})
    done = assistance_service_update(
        service=service, user=officer, data={"outcome": "completed", "end_date": past + datetime.timedelta(2)}
    )
    assert done.outcome == "completed"
