"""GET /api/v1/statistics/incidents/: incidents counted by year, month, area at any level, class and
device, by the rules of the casualty counts (approved only, the authority's include_submitted, the
same scoping and filters)."""

import datetime

import pytest
from django.contrib.gis.geos import MultiPolygon
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from incidents.models import Incident
from reference.models import AdministrativeArea
from tests.api.conftest import _client
from tests.api.helpers import GAO_POINT, MOPTI_POINT, approve, incident_payload
from tests.geo import square
from tests.people import member

pytestmark = pytest.mark.django_db

URL = "/api/v1/statistics/incidents/"
# Inside the cercle below, outside its commune; and inside the commune.
COMMUNE_POINT = {"type": "Point", "coordinates": [-4.13, 14.56]}


def _post(client, **overrides) -> dict:
    payload = incident_payload(**{"how_activated": "unknown", **overrides})
    response = client.post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def areas(db):
    """Mopti's cercle ML0501 in two boundary versions (the first one under an old version of the
    région ML05), and a commune ML050101 of its current version. Returns a function that closes
    the first cercle version and opens the second: incidents created before it lie in the old one."""
    mopti = AdministrativeArea.objects.get(pcode="ML05", valid_to__isnull=True)
    old_region = AdministrativeArea.objects.create(
        level=1, pcode="ML05", name_fr="Mopti (ancien)", valid_from=datetime.date(1990, 1, 1),
        valid_to=datetime.date(1999, 1, 1),
    )  # fmt: skip
    first = AdministrativeArea.objects.create(
        level=2, pcode="ML0501", name_fr="Cercle de Mopti", parent=old_region,
        geometry=MultiPolygon(square((-4.30, 14.40), size=0.2)), valid_from=datetime.date(1999, 1, 1),
    )  # fmt: skip

    def reform():
        AdministrativeArea.objects.filter(pk=first.pk).update(valid_to=datetime.date(2023, 1, 1))
        current = AdministrativeArea.objects.create(
            level=2, pcode="ML0501", name_fr="Cercle de Mopti", parent=mopti, geometry=first.geometry,
            valid_from=datetime.date(2023, 1, 1),
        )  # fmt: skip
        AdministrativeArea.objects.create(
            level=3, pcode="ML050101", name_fr="Commune urbaine de Mopti", parent=current,
            geometry=MultiPolygon(square((-4.15, 14.55), size=0.03)),
            valid_from=datetime.date(2023, 1, 1),
        )  # fmt: skip

    return reform


@pytest.fixture
def incidents(api_alice, api_charlie, areas):
    """Approved: Gao 2021 (région only), Mopti 2023-02 (old cercle version), Mopti 2023-07 (current
    cercle version), and partner B's incident of 2023 known only by its year, in the commune.
    Never counted: partner B's draft, a deleted approved incident; only with include_submitted:
    partner A's submitted incident of 2024 in Gao."""
    gao = _post(api_alice, incident_date="2021-05-01", location=GAO_POINT, incident_class="improvised",
                device_category_reported="improvised_av_mine", how_activated="stepped_on")  # fmt: skip
    old_cercle = _post(api_alice, incident_date="2023-02-10", location=MOPTI_POINT, incident_class="mine",
                       device_category_reported="av_mine")  # fmt: skip
    areas()
    new_cercle = _post(api_alice, incident_date="2023-07-04", location=MOPTI_POINT, incident_class="uxo_axo",
                       device_category_reported="uxo")  # fmt: skip
    commune = _post(api_charlie, incident_date="2023", location=COMMUNE_POINT, incident_class="improvised",
                    device_category_reported="other_ied")  # fmt: skip
    _post(api_charlie, incident_date="2022-01-20", location=MOPTI_POINT, device_category_reported="uxo")
    submitted = _post(api_alice, incident_date="2024-03-01", location=GAO_POINT, device_category_reported="uxo")
    Incident.objects.filter(pk=submitted["id"]).update(status="submitted")
    deleted = _post(api_alice, incident_date="2022-03-03", location=GAO_POINT, device_category_reported="uxo")
    for made in (gao, old_cercle, new_cercle, commune, deleted):
        approve(Incident, made["id"])
    # The state a merge leaves: approved, then deleted.
    Incident.all_objects.filter(pk=deleted["id"]).update(deleted_at=timezone.now())
    return {"gao": gao, "old_cercle": old_cercle, "new_cercle": new_cercle, "commune": commune}


def _get(client, query: str) -> dict:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_places_are_those_the_counts_rely_on(incidents):
    placed = dict(Incident.objects.values_list("id", "admin_area__pcode").filter(
        pk__in=[made["id"] for made in incidents.values()]))  # fmt: skip
    assert [placed[incidents[name]["id"]] for name in ("gao", "old_cercle", "new_cercle", "commune")] == [
        "ML07", "ML0501", "ML0501", "ML050101"
    ]  # fmt: skip
    old, new = (Incident.objects.get(pk=incidents[name]["id"]).admin_area for name in ("old_cercle", "new_cercle"))
    assert old.pk != new.pk
    assert (old.valid_to is not None, new.valid_to) == (True, None)
    assert Incident.objects.get(pk=incidents["commune"]["id"]).date_precision == "year"


def test_approved_incidents_by_year(api_charlie, incidents):
    body = _get(api_charlie, "group_by=year")
    # No summary table built yet: counted in the records, as of now.
    assert (body.pop("computed_from"), body.pop("up_to_date")) == ("records", True)
    assert body.pop("as_of")
    assert body == {
        "group_by": ["year"],
        "admin_area_level": None,
        "include_submitted": False,
        "total": 4,
        "results": [{"year": 2021, "count": 1}, {"year": 2023, "count": 3}],
    }


def test_by_month_an_incident_known_only_by_its_year_is_in_no_month(api_charlie, incidents):
    body = _get(api_charlie, "group_by=month")
    assert body["group_by"] == ["year", "month"]
    assert body["results"] == [
        {"year": 2021, "month": "2021-05", "count": 1},
        {"year": 2023, "month": "2023-02", "count": 1},
        {"year": 2023, "month": "2023-07", "count": 1},
        {"year": 2023, "month": None, "count": 1},
    ]


def test_by_own_area_every_boundary_version_counts_under_its_pcode(api_charlie, incidents):
    assert _get(api_charlie, "group_by=admin_area")["results"] == [
        {"admin_area": "ML0501", "count": 2},
        {"admin_area": "ML050101", "count": 1},
        {"admin_area": "ML07", "count": 1},
    ]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # The old cercle version hangs from an old version of the région: the same P-code.
        (1, [{"admin_area": "ML05", "count": 3}, {"admin_area": "ML07", "count": 1}]),
        # Gao's incident lies in a région with no cercle loaded: no cercle to count it under.
        (2, [{"admin_area": "ML0501", "count": 3}, {"admin_area": None, "count": 1}]),
        (3, [{"admin_area": "ML050101", "count": 1}, {"admin_area": None, "count": 3}]),
    ],
)
def test_by_area_at_a_level_records_count_under_their_ancestor(api_officer, incidents, level, expected):
    body = _get(api_officer, f"group_by=admin_area&admin_area_level={level}")
    assert (body["admin_area_level"], body["results"], body["total"]) == (level, expected, 4)


def test_by_class_and_device_category(api_charlie, incidents):
    assert _get(api_charlie, "group_by=incident_class,device_category")["results"] == [
        # The Mali rule: an improvised AV mine stepped on counts as an improvised AP mine.
        {"incident_class": "improvised", "device_category": "improvised_ap_mine", "count": 1},
        {"incident_class": "improvised", "device_category": "other_ied", "count": 1},
        {"incident_class": "mine", "device_category": "av_mine", "count": 1},
        {"incident_class": "uxo_axo", "device_category": "uxo", "count": 1},
    ]


def test_submitted_incidents_count_for_the_authority_only_when_asked(api_officer, api_alice, incidents):
    assert _get(api_officer, "group_by=year")["total"] == 4
    body = _get(api_officer, "group_by=year&include_submitted=true")
    assert body["include_submitted"] is True
    # The draft and the deleted incident never count.
    assert body["results"] == [{"year": 2021, "count": 1}, {"year": 2023, "count": 3}, {"year": 2024, "count": 1}]
    refused = api_alice.get(f"{URL}?group_by=year&include_submitted=true")
    assert (refused.status_code, refused.json()) == (
        403, {"detail": "Only the authority counts records that are not approved yet."}
    )  # fmt: skip
    # A partner's own submitted incident is not in the national figures yet.
    assert _get(api_alice, "group_by=year")["total"] == 4


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("date_after=2023-01-01", 3),
        ("date_before=2022-12-31", 1),
        ("admin_area=ML05", 3),
        ("admin_area=ML0501", 3),
        ("admin_area=ML050101", 1),
        ("category=uxo&category=av_mine", 2),
        ("incident_class=improvised", 2),
        ("organisation=DRC", 1),
        ("bbox=-1,15.5,1,17", 1),
    ],
)
def test_filters_narrow_the_count(api_charlie, incidents, query, total):
    assert _get(api_charlie, f"group_by=year&{query}")["total"] == total


def test_staff_limited_to_a_region_count_in_it_only(django_user_model, authority, incidents):
    from accounts.models import Profile

    gao_officer = member(django_user_model, "oumar", authority, roles.IM_OFFICER)
    Profile.objects.get(user=gao_officer).regions.add(AdministrativeArea.objects.get(pcode="ML07"))
    body = _get(_client(gao_officer), "group_by=admin_area&include_submitted=true")
    assert body["results"] == [{"admin_area": "ML07", "count": 2}]


def test_who_reads_statistics(django_user_model, partner_a, incidents, api_anonymous):
    field_user = _client(member(django_user_model, "fanta", partner_a, roles.PARTNER_FIELD_USER))
    refused = field_user.get(f"{URL}?group_by=year")
    assert (refused.status_code, refused.json()) == (403, {"detail": "Your role does not read statistics."})
    assert api_anonymous.get(f"{URL}?group_by=year").status_code == 401
    from reference.models import Organisation

    viewer = _client(member(django_user_model, "vera", Organisation.objects.get(acronym="UNICEF"), roles.VIEWER))
    assert _get(viewer, "group_by=year")["total"] == 4


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("group_by=colour", {"group_by": [
            "Group by one or more of: year, month, admin_area, incident_class, device_category."]}),
        ("group_by=", {"group_by": [
            "Group by one or more of: year, month, admin_area, incident_class, device_category."]}),
        # Casualty groups are not incident groups.
        ("group_by=sex", {"group_by": [
            "Group by one or more of: year, month, admin_area, incident_class, device_category."]}),
        ("group_by=admin_area&admin_area_level=4",
         {"admin_area_level": ["Give an administrative level: 1, 2 or 3."]}),
        ("group_by=year&admin_area_level=1", {"admin_area_level": ["Group by admin_area to choose its level."]}),
        ("group_by=year&category=rocket", {"category": ["Select a valid choice. rocket is not one of the available "
                                                        "choices."]}),
        ("group_by=year&bbox=1,2,3", {"bbox": ["Give the box as west,south,east,north in degrees (WGS84)."]}),
    ],
)  # fmt: skip
def test_bad_requests_answer_400_naming_the_parameter(api_charlie, query, errors):
    response = api_charlie.get(f"{URL}?{query}")
    assert (response.status_code, response.json()) == (400, errors)


def test_one_query_counts_whatever_the_number_of_incidents(api_officer, api_alice, incidents):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _get(api_officer, "group_by=year,month,admin_area,incident_class,device_category&admin_area_level=1")
        return len(captured)

    before = queries()
    for day in ("2020-01-05", "2020-02-06", "2020-03-07"):
        approve(Incident, _post(api_alice, incident_date=day, location=GAO_POINT)["id"])
    assert _get(api_officer, "group_by=year")["total"] == 7
    assert queries() == before


def test_casualties_count_by_area_level_too(api_charlie, api_alice, incidents):
    for name, people in (("old_cercle", 2), ("commune", 1)):
        for _ in range(people):
            casualty = {"incident": incidents[name]["id"], "outcome": "injured", "sex": "female", "age": 30}
            client = api_charlie if name == "commune" else api_alice
            # An approved incident is frozen for its reporter: the authority's state is set after.
            Incident.objects.filter(pk=incidents[name]["id"]).update(status="draft")
            assert client.post("/api/v1/casualties/", casualty, format="json").status_code == 201
            approve(Incident, incidents[name]["id"])
    body = api_charlie.get("/api/v1/statistics/casualties/?group_by=admin_area&admin_area_level=2").json()
    assert (body["admin_area_level"], body["results"]) == (2, [{"admin_area": "ML0501", "count": 3}])
