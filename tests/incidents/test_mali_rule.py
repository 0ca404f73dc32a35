"""The Mali rule wherever a device is recorded (Mine Action Review 2025, recommendation to Mali;
APMBC Art. 2): an improvised anti-vehicle mine sensitive enough to be detonated by a person is
recorded as an improvised anti-personnel mine; what the reporter wrote is kept, and every
reclassification is listed in the data-quality report."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Profile
from community.services import community_report_create, community_report_update
from core.exceptions import ApplicationError
from hazards.models import ContaminationType, HazardArea, ItemFound
from hazards.services import hazard_area_create, hazard_area_update, land_release_activity_create
from incidents.models import Incident
from incidents.selectors import incidents_reclassified
from incidents.services import incident_create, incident_update
from quality.selectors import data_quality_report
from reference import ordnance
from reference.models import OrdnanceType
from tests.geo import GAO, MOPTI, point, square

pytestmark = pytest.mark.django_db

AV, AP = "improvised_av_mine", "improvised_ap_mine"
STEPPED_ON_REFUSED = (
    "Stepped on or set off by a tripwire means a person set the device off: "
    "answer yes or leave it unknown, or correct how it was activated."
)
HANDLED_REFUSED = (
    "Handled with no anti-handling device fitted means a person's handling set the device off: "
    "answer yes or leave it unknown, or correct the anti-handling device or how it was activated."
)


def _member(django_user_model, username, organisation, role):
    user = django_user_model.objects.create_user(username, password=f"pw-{username}-42")
    Profile.objects.create(user=user, organisation=organisation)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def awa(django_user_model, authority):
    """The authority's information management officer."""
    return _member(django_user_model, "awa.im", authority, roles.IM_OFFICER)


@pytest.fixture
def alice(django_user_model, partner_a):
    """Partner HI's data manager, through the API."""
    user = _member(django_user_model, "alice.hi", partner_a, roles.PARTNER_DATA_MANAGER)
    from rest_framework.authtoken.models import Token

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _model(name: str) -> OrdnanceType:
    return OrdnanceType.objects.get(model=name)


def _incident(user, organisation, past, **data):
    fields = {
        "incident_class": "improvised",
        "incident_date": past,
        "location": point(MOPTI),
        "device_category_reported": AV,
        "how_activated": "unknown",
        **data,
    }
    return incident_create(user=user, organisation=organisation, data=fields)


# --- 1. An explicit "not set off by a person" is respected, never overridden ---------------


@pytest.mark.parametrize("how", ["unknown", "vehicle", "command", "animal", "fire"])
def test_an_explicit_no_keeps_an_improvised_av_mine(awa, partner_a, past, how):
    incident = _incident(awa, partner_a, past, how_activated=how, person_activated=False)

    assert (incident.device_category_reported, incident.device_category) == (AV, AV)
    assert incident.is_reclassified is False


@pytest.mark.parametrize("how", ["stepped_on", "tripwire"])
def test_an_explicit_no_that_how_it_was_activated_contradicts_is_refused(awa, partner_a, past, how):
    with pytest.raises(ApplicationError) as exc:
        _incident(awa, partner_a, past, how_activated=how, person_activated=False)

    assert exc.value.errors == {"person_activated": [STEPPED_ON_REFUSED]}
    assert not Incident.objects.exists()


def test_the_contradiction_is_refused_whatever_the_device(awa, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _incident(awa, partner_a, past, device_category_reported="ap_mine", how_activated="tripwire",
                  person_activated=False)  # fmt: skip

    assert exc.value.errors == {"person_activated": [STEPPED_ON_REFUSED]}


def test_a_correction_to_no_that_contradicts_the_record_is_refused_and_nothing_changes(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, how_activated="stepped_on")
    assert incident.device_category == AP

    with pytest.raises(ApplicationError) as exc:
        incident_update(incident=incident, user=awa, data={"person_activated": False})

    assert exc.value.errors == {"person_activated": [STEPPED_ON_REFUSED]}
    incident.refresh_from_db()
    assert (incident.person_activated, incident.device_category) == (None, AP)


def test_a_correction_to_no_with_a_vehicle_brings_the_improvised_av_mine_back(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, how_activated="stepped_on")

    corrected = incident_update(
        incident=incident, user=awa, data={"how_activated": "vehicle", "person_activated": False}
    )

    assert (corrected.device_category_reported, corrected.device_category) == (AV, AV)
    assert list(incidents_reclassified()) == []


@pytest.mark.parametrize(
    ("how", "person", "counted"),
    [
        ("stepped_on", None, AP),
        ("tripwire", None, AP),
        ("tripwire", True, AP),
        ("unknown", True, AP),
        ("vehicle", True, AP),
        ("vehicle", None, AV),
        ("unknown", None, AV),
        ("command", None, AV),
    ],
)
def test_a_yes_or_a_person_activation_counts_an_improvised_ap_mine(awa, partner_a, past, how, person, counted):
    incident = _incident(awa, partner_a, past, how_activated=how, person_activated=person)

    assert (incident.device_category_reported, incident.device_category) == (AV, counted)


# --- 2. What the reporter wrote survives edits of other fields --------------------------------


def test_the_reporters_category_survives_a_new_device_model(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, how_activated="stepped_on", ordnance_type=_model("TM-57"))
    assert incident.device_category_reported_derived is False

    changed = incident_update(incident=incident, user=awa, data={"ordnance_type": _model("PMN-2")})

    assert changed.ordnance_type.model == "PMN-2"
    assert (changed.device_category_reported, changed.device_category) == (AV, AP)
    assert changed.device_category_reported_derived is False


def test_a_category_taken_from_the_model_follows_a_new_model(awa, partner_a, past):
    incident = _incident(
        awa, partner_a, past, device_category_reported="", how_activated="stepped_on", ordnance_type=_model("PMN-2")
    )
    assert (incident.device_category_reported, incident.device_category) == ("ap_mine", "ap_mine")
    assert incident.device_category_reported_derived is True

    changed = incident_update(
        incident=incident, user=awa, data={"ordnance_type": _model("Improvised pressure-plate AV mine")}
    )

    # Derived from the new model, then counted by the rule: stepped on, so an improvised AP mine.
    assert (changed.device_category_reported, changed.device_category) == (AV, AP)
    assert changed.device_category_reported_derived is True
    assert list(incidents_reclassified()) == [changed]


def test_a_derived_category_sent_back_unchanged_still_follows_the_model(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, device_category_reported="", ordnance_type=_model("PMN-2"))

    changed = incident_update(
        incident=incident, user=awa, data={"device_category_reported": "ap_mine", "ordnance_type": _model("TM-57")}
    )

    assert (changed.device_category_reported, changed.device_category_reported_derived) == ("av_mine", True)


def test_a_new_category_from_the_reporter_is_kept_from_then_on(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, device_category_reported="", ordnance_type=_model("PMN-2"))

    typed = incident_update(incident=incident, user=awa, data={"device_category_reported": "unspecified_mine"})
    assert (typed.device_category_reported, typed.device_category_reported_derived) == ("unspecified_mine", False)
    changed = incident_update(incident=typed, user=awa, data={"ordnance_type": _model("TM-57")})

    assert (changed.device_category_reported, changed.device_category_reported_derived) == ("unspecified_mine", False)


def test_an_empty_category_asks_for_the_models_again(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, ordnance_type=_model("TM-57"))

    cleared = incident_update(incident=incident, user=awa, data={"device_category_reported": ""})

    assert (cleared.device_category_reported, cleared.device_category_reported_derived) == ("av_mine", True)


def test_without_a_category_or_a_model_the_category_is_unknown_and_derived(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, device_category_reported="")

    assert (incident.device_category_reported, incident.device_category_reported_derived) == ("unknown", True)
    changed = incident_update(incident=incident, user=awa, data={"ordnance_type": _model("PMN-2")})
    assert changed.device_category_reported == "ap_mine"


def test_the_migration_marks_as_derived_only_categories_a_model_or_nothing_gave(partner_a, past):
    migration = importlib.import_module("incidents.migrations.0005_mali_rule_anti_handling_and_derived")
    (mark,) = [op for op in migration.Migration.operations if type(op).__name__ == "RunSQL"]
    rows = {
        "same as model": ("ap_mine", _model("PMN-2")),
        "not the model's": (AV, _model("PMN-2")),
        "unknown, no model": ("unknown", None),
        "typed, no model": ("uxo", None),
    }
    ids = {}
    for name, (reported, model) in rows.items():
        ids[name] = Incident.objects.create(
            organisation=partner_a, reference=f"MIG-{len(ids)}", incident_class="other", incident_date=past,
            location=point(MOPTI), device_category=reported, device_category_reported=reported, ordnance_type=model,
        ).pk  # fmt: skip

    with connection.cursor() as cursor:
        cursor.execute(mark.sql)

    derived = dict(Incident.objects.values_list("pk", "device_category_reported_derived"))
    assert {name: derived[pk] for name, pk in ids.items()} == {
        "same as model": True,
        "not the model's": False,
        "unknown, no model": True,
        "typed, no model": False,
    }


# --- 3. Anti-handling devices (APMBC Art. 2.1) ----------------------------------------------


@pytest.mark.parametrize(
    ("anti_handling", "person", "counted"),
    [
        (True, None, AV),
        # The person set off the anti-handling device, not a charge sensitive to people.
        (True, True, AV),
        (True, False, AV),
        (False, None, AP),
        (False, True, AP),
        (None, None, AP),
        (None, False, AV),
    ],
)
def test_handled_with_an_anti_handling_device_stays_an_improvised_av_mine(
    awa, partner_a, past, anti_handling, person, counted
):
    incident = _incident(
        awa, partner_a, past, how_activated="handled", anti_handling_device=anti_handling, person_activated=person
    )

    assert (incident.device_category_reported, incident.device_category) == (AV, counted)
    assert incident.anti_handling_device is anti_handling


def test_handled_with_no_anti_handling_device_and_an_explicit_no_is_refused(awa, partner_a, past):
    with pytest.raises(ApplicationError) as exc:
        _incident(awa, partner_a, past, how_activated="handled", anti_handling_device=False, person_activated=False)

    assert exc.value.errors == {"person_activated": [HANDLED_REFUSED]}


def test_an_anti_handling_device_does_not_matter_when_the_device_was_stepped_on(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, how_activated="stepped_on", anti_handling_device=True)

    assert incident.device_category == AP


def test_recording_the_anti_handling_device_later_counts_the_improvised_av_mine_again(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, how_activated="handled")
    assert incident.device_category == AP

    corrected = incident_update(incident=incident, user=awa, data={"anti_handling_device": True})

    assert (corrected.device_category_reported, corrected.device_category) == (AV, AV)


def test_the_rule_reads_the_activation_values_of_incidents():
    assert {"stepped_on", "tripwire", "handled"} == ordnance.PERSON_ACTIVATIONS
    assert ordnance.PERSON_ACTIVATIONS | {ordnance.UNKNOWN} <= set(Incident.HowActivated.values)
    assert {ordnance.IMPROVISED_AV_MINES, ordnance.IMPROVISED_AP_MINES} <= set(ContaminationType.values)


# --- 4. Items found, community reports, hazard contamination ---------------------------------


def _hazard(user, organisation, past, **data):
    fields = {
        "land_class": "cha",
        "geometry": square(MOPTI, 0.01),
        "evidence": "direct",
        "survey_date": past,
        "contamination_types": ["improvised_av_mines", "uxo"],
        **data,
    }
    return hazard_area_create(user=user, organisation=organisation, data=fields)


def _spot_task(user, organisation, past, items):
    return land_release_activity_create(
        user=user,
        organisation=organisation,
        data={"kind": "eod_spot_task", "location": point(GAO), "start_date": past},
        items=items,
    )


def test_items_found_sensitive_to_a_person_count_as_improvised_ap_mines(awa, partner_a, past):
    task = _spot_task(
        awa,
        partner_a,
        past,
        items=[
            {"category": AV, "person_sensitive": True, "quantity": 2},
            {"category": AV, "person_sensitive": False},
            {"category": AV},
            {"ordnance_type": _model("Improvised pressure-plate AV mine"), "person_sensitive": True},
            {"category": "uxo", "person_sensitive": True},
        ],
    )

    items = list(ItemFound.objects.filter(activity=task).order_by("id"))
    assert [(i.category_reported, i.category, i.quantity) for i in items] == [
        (AV, AP, 2),
        ("", AV, 1),
        ("", AV, 1),
        (AV, AP, 1),
        ("", "uxo", 1),
    ]


def test_a_community_report_keeps_what_the_community_reported(awa, partner_a, past):
    report = community_report_create(
        user=awa,
        organisation=partner_a,
        data={"report_date": past, "subject": "item", "location": point(GAO), "item_category": AV,
              "item_person_sensitive": True},
    )  # fmt: skip
    assert (report.item_category_reported, report.item_category) == (AV, AP)

    # Sent back as read (the counted category) with another change: still what was reported.
    echoed = community_report_update(report=report, user=awa, data={"item_category": AP, "item_count": 3})
    assert (echoed.item_category_reported, echoed.item_category, echoed.item_count) == (AV, AP, 3)

    corrected = community_report_update(report=echoed, user=awa, data={"item_person_sensitive": False})
    assert (corrected.item_category_reported, corrected.item_category) == ("", AV)

    retyped = community_report_update(report=corrected, user=awa, data={"item_category": "uxo"})
    assert (retyped.item_category_reported, retyped.item_category) == ("", "uxo")


def test_person_sensitive_improvised_av_mines_contaminate_an_area_as_improvised_ap_mines(awa, partner_a, past):
    hazard = _hazard(awa, partner_a, past, improvised_av_person_sensitive=True)
    assert hazard.contamination_types == ["improvised_ap_mines", "uxo"]
    assert hazard.contamination_types_reported == ["improvised_av_mines", "uxo"]

    # Sent back as read, with a type added: the reporter's types are the kept ones plus the new one.
    grown = hazard_area_update(
        hazard=hazard, user=awa, data={"contamination_types": ["improvised_ap_mines", "uxo", "axo"]}
    )
    assert grown.contamination_types == ["improvised_ap_mines", "uxo", "axo"]
    assert grown.contamination_types_reported == ["improvised_av_mines", "uxo", "axo"]

    corrected = hazard_area_update(hazard=grown, user=awa, data={"improvised_av_person_sensitive": False})
    assert corrected.contamination_types == ["improvised_av_mines", "uxo", "axo"]
    assert corrected.contamination_types_reported == []


def test_an_area_with_improvised_av_mines_of_unknown_sensitivity_counts_them_as_reported(awa, partner_a, past):
    hazard = _hazard(awa, partner_a, past)

    assert (hazard.contamination_types, hazard.contamination_types_reported) == (["improvised_av_mines", "uxo"], [])


def test_an_area_reported_with_both_kinds_lists_improvised_ap_mines_once(awa, partner_a, past):
    hazard = _hazard(
        awa,
        partner_a,
        past,
        contamination_types=["improvised_ap_mines", "improvised_av_mines"],
        improvised_av_person_sensitive=True,
    )

    assert hazard.contamination_types == ["improvised_ap_mines"]
    assert hazard.contamination_types_reported == ["improvised_ap_mines", "improvised_av_mines"]
    kept = hazard_area_update(hazard=hazard, user=awa, data={"beneficiaries": 40})
    assert kept.contamination_types_reported == ["improvised_ap_mines", "improvised_av_mines"]


def test_every_reclassification_is_in_the_data_quality_report(awa, partner_a, past):
    incident = _incident(awa, partner_a, past, how_activated="tripwire")
    _incident(awa, partner_a, past, how_activated="vehicle", person_activated=False)
    task = _spot_task(awa, partner_a, past, items=[{"category": AV, "person_sensitive": True, "quantity": 4}])
    _spot_task(awa, partner_a, past, items=[{"category": AV}])
    report = community_report_create(
        user=awa,
        organisation=partner_a,
        data={"report_date": past, "subject": "item", "location": point(GAO), "item_category": AV,
              "item_person_sensitive": True},
    )  # fmt: skip
    hazard = _hazard(awa, partner_a, past, improvised_av_person_sensitive=True)
    _hazard(awa, partner_a, past, geometry=square(GAO, 0.01))

    (result,) = [r for r in data_quality_report(user=awa) if r.code == "reclassified_ap_mine"]

    assert result.count == 4
    assert {(f.record_type, f.reference): f.detail for f in result.findings} == {
        ("incidents.incident", incident.reference): (
            "Reported as Improvised anti-vehicle mine, counted as Improvised anti-personnel mine"
        ),
        ("hazards.landreleaseactivity", task.reference): (
            "Items found: 4 reported as Improvised anti-vehicle mine, counted as Improvised anti-personnel mine"
        ),
        ("community.communityreport", report.reference): (
            "Reported as Improvised anti-vehicle mine, counted as Improvised anti-personnel mine"
        ),
        ("hazards.hazardarea", hazard.reference): (
            "Contamination reported as Improvised anti-vehicle mines, Unexploded ordnance, "
            "counted as Improvised anti-personnel mines, Unexploded ordnance"
        ),
    }


# --- Through the partner API --------------------------------------------------------------------


def _incident_payload(**overrides) -> dict:
    return {
        "incident_class": "improvised",
        "incident_date": "2024-03-15",
        "location": {"type": "Point", "coordinates": [-0.04, 16.27]},
        "device_category_reported": AV,
        **overrides,
    }


def test_api_an_improvised_av_mine_handled_with_an_anti_handling_device_stays_one(alice):
    response = alice.post(
        "/api/v1/incidents/",
        _incident_payload(how_activated="handled", person_activated=True, anti_handling_device=True),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {key: body[key] for key in (
        "device_category", "device_category_reported", "device_category_reported_derived", "how_activated",
        "person_activated", "anti_handling_device",
    )} == {
        "device_category": AV, "device_category_reported": AV, "device_category_reported_derived": False,
        "how_activated": "handled", "person_activated": True, "anti_handling_device": True,
    }  # fmt: skip


def test_api_handled_without_an_anti_handling_device_counts_an_improvised_ap_mine(alice):
    response = alice.post(
        "/api/v1/incidents/", _incident_payload(how_activated="handled", anti_handling_device=False), format="json"
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["device_category_reported"], response.json()["device_category"]) == (AV, AP)


def test_api_a_contradicted_no_is_refused_on_its_field(alice):
    response = alice.post(
        "/api/v1/incidents/", _incident_payload(how_activated="stepped_on", person_activated=False), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"person_activated": [STEPPED_ON_REFUSED]}
    assert not Incident.objects.exists()


def test_api_a_new_model_keeps_the_reporters_category(alice):
    created = alice.post(
        "/api/v1/incidents/",
        _incident_payload(how_activated="tripwire", ordnance_type=_model("TM-57").pk),
        format="json",
    ).json()

    response = alice.patch(
        f"/api/v1/incidents/{created['id']}/",
        {"ordnance_type": _model("PMN-2").pk},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["device_category_reported"], body["device_category"], body["ordnance_type"]) == (
        AV,
        AP,
        _model("PMN-2").pk,
    )


def test_api_items_found_community_reports_and_hazards_show_both_values(alice):
    task = alice.post(
        "/api/v1/land-release-activities/",
        {"kind": "eod_spot_task", "location": {"type": "Point", "coordinates": [-0.04, 16.27]},
         "start_date": "2024-03-15", "items_found": [{"category": AV, "person_sensitive": True, "quantity": 2}]},
        format="json",
    )  # fmt: skip
    report = alice.post(
        "/api/v1/community-reports/",
        {"report_date": "2024-03-15", "subject": "item", "location": {"type": "Point", "coordinates": [-0.04, 16.27]},
         "item_category": AV, "item_person_sensitive": True},
        format="json",
    )  # fmt: skip
    hazard = alice.post(
        "/api/v1/hazard-areas/",
        {"land_class": "cha", "evidence": "direct", "survey_date": "2024-03-15",
         "geometry": {"type": "Polygon", "coordinates": [[[-4.19, 14.49], [-4.18, 14.49], [-4.18, 14.50],
                                                          [-4.19, 14.50], [-4.19, 14.49]]]},
         "contamination_types": ["improvised_av_mines"], "improvised_av_person_sensitive": True},
        format="json",
    )  # fmt: skip

    assert (task.status_code, report.status_code, hazard.status_code) == (201, 201, 201)
    (item,) = task.json()["items_found"]
    assert {key: item[key] for key in ("category", "category_reported", "person_sensitive", "quantity")} == {
        "category": AP,
        "category_reported": AV,
        "person_sensitive": True,
        "quantity": 2,
    }
    assert {
        key: report.json()[key] for key in ("item_category", "item_category_reported", "item_person_sensitive")
    } == {
        "item_category": AP,
        "item_category_reported": AV,
        "item_person_sensitive": True,
    }
    body = hazard.json()
    assert (body["contamination_types"], body["contamination_types_reported"]) == (
        ["improvised_ap_mines"],
        ["improvised_av_mines"],
    )
    assert HazardArea.objects.get(pk=body["id"]).improvised_av_person_sensitive is True


# --- The rule itself ----------------------------------------------------------------------------


def test_categories_other_than_improvised_av_mines_are_counted_as_reported():
    for reported in ("av_mine", "ap_mine", "other_ied", "uxo", "unknown", ""):
        assert ordnance.classify_device(reported=reported, person_activated=True, how_activated="stepped_on") == (
            reported
        )


def test_a_merge_adds_types_to_the_reporters_and_keeps_the_reclassification():
    counted, kept = ordnance.recount_contamination(
        types=["improvised_ap_mines", "uxo", "axo"],
        kept=["improvised_av_mines", "uxo"],
        improvised_av_person_sensitive=True,
    )

    assert (counted, kept) == (["improvised_ap_mines", "uxo", "axo"], ["improvised_av_mines", "uxo", "axo"])
