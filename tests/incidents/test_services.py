import datetime

import pytest
from django.core.exceptions import PermissionDenied

from core.exceptions import ApplicationError
from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource
from incidents.selectors import casualty_identity_get, incidents_reclassified
from incidents.services import casualty_add, incident_create, incident_update
from reference.models import Locality, OrdnanceType
from tests.geo import GAO, MOPTI, PARIS, point

pytestmark = pytest.mark.django_db


def _incident(user, organisation, past, casualties=(), sources=(), **data):
    fields = {
        "incident_class": "improvised",
        "incident_date": past,
        "location": point(MOPTI),
        "device_category_reported": "improvised_av_mine",
        "how_activated": "vehicle",
        "activity_at_time": "travelling",
        **data,
    }
    return incident_create(user=user, organisation=organisation, data=fields, casualties=casualties, sources=sources)


# --- The Mali rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "how", "person", "counted"),
    [
        ("improvised_av_mine", "stepped_on", None, "improvised_ap_mine"),
        ("improvised_av_mine", "unknown", True, "improvised_ap_mine"),
        ("improvised_av_mine", "tripwire", None, "improvised_ap_mine"),
        ("improvised_av_mine", "vehicle", None, "improvised_av_mine"),
        ("improvised_av_mine", "vehicle", False, "improvised_av_mine"),
        ("av_mine", "stepped_on", True, "av_mine"),
        ("other_ied", "command", None, "other_ied"),
    ],
)
def test_improvised_av_mine_set_off_by_a_person_counts_as_improvised_ap_mine(
    officer, partner_a, past, reported, how, person, counted
):
    incident = _incident(
        officer, partner_a, past, device_category_reported=reported, how_activated=how, person_activated=person
    )
    assert incident.device_category == counted
    assert incident.device_category_reported == reported
    assert incident.is_reclassified is (counted != reported)


def test_reclassifications_are_listed_for_data_quality(officer, partner_a, past):
    moved = _incident(officer, partner_a, past, how_activated="stepped_on")
    _incident(officer, partner_a, past, how_activated="vehicle")
    _incident(officer, partner_a, past, device_category_reported="other_ied", how_activated="command")

    assert list(incidents_reclassified()) == [moved]


def test_the_rule_applies_again_when_an_incident_is_corrected(officer, partner_a, past):
    incident = _incident(officer, partner_a, past, how_activated="vehicle")
    assert incident.device_category == "improvised_av_mine"
    corrected = incident_update(incident=incident, user=officer, data={"person_activated": True})
    assert corrected.device_category == "improvised_ap_mine"
    assert corrected.device_category_reported == "improvised_av_mine"


def test_device_category_defaults_to_the_catalogue_model(officer, partner_a, past):
    pmn2 = OrdnanceType.objects.get(model="PMN-2")
    incident = _incident(officer, partner_a, past, device_category_reported="", ordnance_type=pmn2)
    assert (incident.device_category_reported, incident.device_category) == ("ap_mine", "ap_mine")


def test_device_category_cannot_be_typed_directly(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _incident(officer, partner_a, past, device_category="improvised_av_mine")
    assert exc.value.errors == {"device_category": ["This field cannot be set."]}


# --- Incidents with casualties and sources ---------------------------------------------------


def test_an_incident_is_recorded_with_its_casualties_and_sources_at_once(officer, partner_a, past):
    incident = _incident(
        officer,
        partner_a,
        past,
        casualties=[
            {"outcome": "killed", "sex": "male", "age": 34, "civilian_status": "military"},
            {
                "outcome": "injured",
                "sex": "female",
                "age": 9,
                "civilian_status": "civilian",
                "injuries": ["lower_limb_amputation", "fragmentation"],
            },
            {"outcome": "injured"},
        ],
        sources=[{"source_type": "health", "name": "Hôpital Sominé Dolo", "reliability": "confirmed"}],
    )
    casualties = list(incident.casualties.order_by("id"))
    assert [(c.outcome, c.age_group) for c in casualties] == [
        ("killed", "adult"),
        ("injured", "child"),
        ("injured", "unknown"),
    ]
    assert casualties[1].injuries == ["lower_limb_amputation", "fragmentation"]
    assert incident.sources.get().reliability == "confirmed"
    assert incident.admin_area.pcode == "ML05"
    assert incident.reference.startswith("ML-INC-")


def test_one_bad_casualty_saves_nothing_and_names_its_position(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _incident(
            officer,
            partner_a,
            past,
            casualties=[
                {"outcome": "injured", "age": 30},
                {"outcome": "injured", "age": 130},
                {"outcome": "maimed", "age": 12, "age_group": "adult"},
            ],
            sources=[{"source_type": "radio", "reliability": "confirmed"}],
        )
    errors = exc.value.errors
    assert errors["casualties[1].age"][0] == "An age lies between 0 and 120 years."
    assert errors["casualties[2].outcome"] == ["Value 'maimed' is not a valid choice."]
    assert errors["casualties[2].age_group"] == ["The age group does not match the age 12."]
    assert errors["sources[0].source_type"] == ["Value 'radio' is not a valid choice."]
    assert not Incident.objects.exists()
    assert not Casualty.objects.exists()
    assert not IncidentSource.objects.exists()


def test_incident_location_rules(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _incident(officer, partner_a, past, location=point(PARIS))
    assert exc.value.errors == {"location": ["The location lies outside the country."]}

    with pytest.raises(ApplicationError) as exc:
        _incident(officer, partner_a, past, location=None)
    assert exc.value.errors == {"location": ["Give the location (a point) or a locality."]}

    gao = Locality.objects.get(name="Gao")
    from_locality = _incident(officer, partner_a, past, location=None, locality=gao)
    assert from_locality.location == gao.location
    assert from_locality.admin_area.pcode == "ML07"


def test_incident_dates_cannot_be_in_the_future(officer, partner_a):
    with pytest.raises(ApplicationError) as exc:
        _incident(officer, partner_a, datetime.date.today() + datetime.timedelta(days=3))
    assert exc.value.errors == {"incident_date": ["The date cannot be in the future."]}


def test_casualty_added_later_follows_the_same_rules(officer, partner_a, past):
    incident = _incident(officer, partner_a, past)
    added = casualty_add(incident=incident, user=officer, data={"outcome": "injured", "age": 17})
    assert added.age_group == "child"
    with pytest.raises(ApplicationError) as exc:
        casualty_add(incident=incident, user=officer, data={"outcome": "injured", "age": 121})
    assert exc.value.errors["age"][0] == "An age lies between 0 and 120 years."


# --- Casualty identity -------------------------------------------------------------------------


@pytest.fixture
def identified(officer, partner_a, past):
    incident = _incident(
        officer,
        partner_a,
        past,
        casualties=[
            {
                "outcome": "injured",
                "sex": "female",
                "age": 27,
                "identity": {
                    "full_name": "Aminata Traoré",
                    "date_of_birth": datetime.date(1996, 5, 2),
                    "phone": "+223 70 00 00 00",
                },
            }
        ],
    )
    return incident.casualties.get()


def test_identity_is_kept_apart_and_read_only_with_the_permission(identified, officer, partner_user):
    assert casualty_identity_get(user=officer, casualty=identified, channel="api").full_name == "Aminata Traoré"
    with pytest.raises(PermissionDenied):
        casualty_identity_get(user=partner_user, casualty=identified, channel="api")
    # Every read is logged, refused ones are not reads.
    assert [(log.user, log.channel) for log in identified.identity_reads.all()] == [(officer, "api")]


def test_identity_rules(officer, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _incident(
            officer,
            partner_a,
            past,
            casualties=[
                {
                    "outcome": "injured",
                    "identity": {"full_name": "", "date_of_birth": past + datetime.timedelta(1), "shoe_size": 42},
                }
            ],
        )
    assert exc.value.errors == {
        "casualties[0].identity.shoe_size": ["This field cannot be set."],
        "casualties[0].identity.date_of_birth": ["The date of birth cannot be after the incident."],
        "casualties[0].identity.full_name": ["This field cannot be blank."],
    }
    assert not CasualtyIdentity.objects.exists()


def test_identity_is_hidden_in_the_admin_from_a_role_without_the_permission(client, identified, officer, partner_user):
    url = f"/admin/incidents/casualty/{identified.pk}/change/"
    client.force_login(officer)
    assert "Aminata Traoré" in client.get(url).content.decode()
    # A page read is logged like an API read.
    assert [(log.user, log.channel, log.path) for log in identified.identity_reads.all()] == [(officer, "page", url)]

    client.force_login(partner_user)
    response = client.get(url)
    assert response.status_code == 200
    assert "Aminata Traoré" not in response.content.decode()
    assert "+223" not in response.content.decode()


def test_gao_and_mopti_points_fall_in_their_regions(officer, partner_a, past):
    assert _incident(officer, partner_a, past, location=point(GAO)).admin_area.name_fr == "Gao"
