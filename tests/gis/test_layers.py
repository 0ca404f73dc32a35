"""The map's layers: boxes, scoping as in the API, refusals as JSON, caps, simplified boundaries."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.services import community_report_create
from core.models import RecordStatus
from core.workflow import record_delete
from gis import selectors
from hazards.models import HazardArea
from hazards.services import hazard_area_create
from incidents.models import Incident
from incidents.services import incident_create
from tests.geo import GAO, MOPTI, point, square

pytestmark = pytest.mark.django_db

COUNTRY = "-12.3,10.1,4.3,25.0"
# About 0.2 degrees around Mopti.
AROUND_MOPTI = "-4.3,14.4,-4.1,14.6"


def _incident(user, organisation, past, where=MOPTI):
    return incident_create(
        user=user,
        organisation=organisation,
        data={
            "incident_class": "improvised",
            "incident_date": past,
            "location": point(where),
            "device_category_reported": "improvised_av_mine",
            "how_activated": "stepped_on",
        },
    )


def _hazard(user, organisation, past, where=MOPTI, size=0.01, land_class="cha"):
    return hazard_area_create(
        user=user,
        organisation=organisation,
        data={
            "land_class": land_class,
            "geometry": square(where, size),
            "evidence": "direct",
            "survey_date": past,
            "contamination_types": ["improvised_ap_mines"],
        },
    )


def _layer(client, layer, bbox=COUNTRY, zoom=10):
    response = client.get(f"/map/layers/{layer}/", {"bbox": bbox, "zoom": zoom})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)


def _references(collection) -> set[str]:
    return {feature["properties"]["reference"] for feature in collection["features"]}


def test_only_records_inside_the_box_are_sent(client, officer, partner_user, partner_a, past):
    in_mopti = _incident(partner_user, partner_a, past, MOPTI)
    in_gao = _incident(partner_user, partner_a, past, GAO)
    hazard_mopti = _hazard(partner_user, partner_a, past, MOPTI)
    hazard_gao = _hazard(partner_user, partner_a, past, GAO)
    client.force_login(officer)

    assert _references(_layer(client, "incidents", AROUND_MOPTI)) == {in_mopti.reference}
    assert _references(_layer(client, "hazards", AROUND_MOPTI)) == {hazard_mopti.reference}
    assert _references(_layer(client, "incidents")) == {in_mopti.reference, in_gao.reference}
    assert _references(_layer(client, "hazards")) == {hazard_mopti.reference, hazard_gao.reference}


def test_a_partner_never_sees_another_partners_draft_and_the_authority_does(
    client, officer, partner_user, partner_a, charlie, past
):
    draft_incident = _incident(partner_user, partner_a, past)
    draft_hazard = _hazard(partner_user, partner_a, past)
    approved_incident = _incident(partner_user, partner_a, past)
    Incident.objects.filter(pk=approved_incident.pk).update(status=RecordStatus.APPROVED)
    deleted_incident = _incident(partner_user, partner_a, past)
    record_delete(record=deleted_incident, user=partner_user)

    client.force_login(charlie)
    assert _references(_layer(client, "incidents")) == {approved_incident.reference}
    assert _references(_layer(client, "hazards")) == set()

    client.force_login(partner_user)
    assert _references(_layer(client, "incidents")) == {draft_incident.reference, approved_incident.reference}
    assert _references(_layer(client, "hazards")) == {draft_hazard.reference}

    client.force_login(officer)
    assert _references(_layer(client, "incidents")) == {draft_incident.reference, approved_incident.reference}
    assert _references(_layer(client, "hazards")) == {draft_hazard.reference}


def test_a_hazard_carries_what_colours_it_and_the_link_to_its_page(client, officer, partner_user, partner_a, past):
    hazard = _hazard(partner_user, partner_a, past, land_class="sha")
    HazardArea.objects.filter(pk=hazard.pk).update(area_cleared_m2=100)
    client.force_login(officer)

    (feature,) = _layer(client, "hazards", AROUND_MOPTI, zoom=14)["features"]

    assert feature["id"] == hazard.pk
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    expected_url = selectors.detail_url_maker("hazards")(hazard.pk)
    assert feature["properties"] == {
        "reference": hazard.reference,
        "land_class": "sha",
        "hazard_status": "open",
        "release": "partially_released",
        "status": "draft",
        "contamination_types": ["improvised_ap_mines"],
        "url": expected_url,
    }
    HazardArea.objects.filter(pk=hazard.pk).update(hazard_status="handed_over")
    (feature,) = _layer(client, "hazards", AROUND_MOPTI, zoom=14)["features"]
    assert feature["properties"]["release"] == "released"


def test_each_feature_links_to_its_record_page(client, partner_user, partner_a, past):
    report = community_report_create(
        user=partner_user,
        organisation=partner_a,
        data={
            "report_date": past,
            "subject": "item",
            "location": point(MOPTI),
            "item_category": "uxo",
            "item_count": 1,
        },
    )
    client.force_login(partner_user)

    (feature,) = _layer(client, "community-reports", AROUND_MOPTI)["features"]

    assert (
        feature["properties"]["url"]
        == f"/community-reports/{report.pk}/"
        == reverse("community-reports-detail", args=[report.pk])
    )
    assert feature["properties"]["reference"] == report.reference
    assert client.get(feature["properties"]["url"]).status_code == 200


def test_a_page_not_written_yet_gives_no_link_and_no_error():
    assert selectors.detail_url_maker("no-such-page")(12) is None
    assert selectors.detail_url_maker("community-reports")(12) == "/community-reports/12/"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"zoom": "5"}, "Give the box as west,south,east,north"),
        ({"bbox": "a,b,c,d", "zoom": "5"}, "Give the box as west,south,east,north"),
        ({"bbox": "1,2,3", "zoom": "5"}, "Give the box as west,south,east,north"),
        ({"bbox": "4,10,-4,20", "zoom": "5"}, "The box must have west < east"),
        ({"bbox": "-4,10,4,95", "zoom": "5"}, "The box must have west < east"),
        ({"bbox": "nan,10,4,20", "zoom": "5"}, "The box must have west < east"),
        ({"bbox": COUNTRY}, "Give the zoom as a whole number from 0 to 22."),
        ({"bbox": COUNTRY, "zoom": "five"}, "Give the zoom as a whole number from 0 to 22."),
        ({"bbox": COUNTRY, "zoom": "-1"}, "Give the zoom as a whole number from 0 to 22."),
        ({"bbox": COUNTRY, "zoom": "23"}, "Give the zoom as a whole number from 0 to 22."),
    ],
)
def test_a_bad_box_or_zoom_is_refused_in_json(client, officer, query, message):
    client.force_login(officer)
    for layer in ("hazards", "incidents", "boundaries"):
        response = client.get(f"/map/layers/{layer}/", query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"].startswith(message)


def test_anonymous_and_unknown_layers_are_refused_in_json(client, officer):
    response = client.get("/map/layers/incidents/", {"bbox": COUNTRY, "zoom": 5})
    assert (response.status_code, response["Content-Type"]) == (401, "application/json")
    client.force_login(officer)
    response = client.get("/map/layers/casualties/", {"bbox": COUNTRY, "zoom": 5}, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (404, {"detail": "No such layer."})


def test_past_the_cap_hazards_are_cut_and_the_answer_says_so(
    client, officer, partner_user, partner_a, past, monkeypatch
):
    small = _hazard(partner_user, partner_a, past, size=0.005)
    large = _hazard(partner_user, partner_a, past, (-4.17, 14.49), size=0.02)
    middle = _hazard(partner_user, partner_a, past, (-4.15, 14.49), size=0.01)
    client.force_login(officer)
    monkeypatch.setattr(selectors, "FEATURE_CAP", 2)
    near = selectors.MAX_HAZARD_GROUPING_ZOOM

    cut = _layer(client, "hazards", AROUND_MOPTI, zoom=near)

    assert (cut["truncated"], cut["grouped"], cut["records"], len(cut["features"])) == (True, False, 2, 2)
    # The largest areas are kept: what is left out is what shows least.
    assert [f["properties"]["reference"] for f in cut["features"]] == [large.reference, middle.reference]
    monkeypatch.setattr(selectors, "FEATURE_CAP", 3)
    whole = _layer(client, "hazards", AROUND_MOPTI, zoom=near)
    assert (whole["truncated"], whole["records"]) == (False, 3)
    assert small.reference in _references(whole)


def test_past_the_cap_at_national_zoom_hazards_are_counted_in_cells(
    client, officer, partner_user, partner_a, past, monkeypatch
):
    for where in (MOPTI, (-4.15, 14.49), GAO):
        _hazard(partner_user, partner_a, past, where)
    client.force_login(officer)
    monkeypatch.setattr(selectors, "FEATURE_CAP", 2)

    national = _layer(client, "hazards", COUNTRY, zoom=5)

    assert (national["grouped"], national["truncated"], national["records"]) == (True, False, 3)
    assert sorted(f["properties"]["count"] for f in national["features"]) == [1, 2]
    assert {f["geometry"]["type"] for f in national["features"]} == {"Point"}


def test_an_area_too_small_to_see_is_sent_as_a_point(client, officer, partner_user, partner_a, past):
    hazard = _hazard(partner_user, partner_a, past, size=0.01)
    client.force_login(officer)

    (far,) = _layer(client, "hazards", COUNTRY, zoom=6)["features"]
    (near,) = _layer(client, "hazards", AROUND_MOPTI, zoom=14)["features"]

    assert far["geometry"]["type"] == "Point"
    assert far["properties"]["reference"] == hazard.reference
    assert near["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_past_the_cap_points_are_counted_in_cells_and_cut_only_when_zoomed_in(
    client, officer, partner_user, partner_a, past, monkeypatch
):
    for where in (MOPTI, (-4.18, 14.5), (-4.17, 14.51), GAO):
        _incident(partner_user, partner_a, past, where)
    client.force_login(officer)
    monkeypatch.setattr(selectors, "FEATURE_CAP", 3)

    national = _layer(client, "incidents", COUNTRY, zoom=5)

    assert (national["grouped"], national["truncated"], national["records"]) == (True, False, 4)
    counts = sorted(feature["properties"]["count"] for feature in national["features"])
    # Mopti's three incidents share a cell; Gao's is alone.
    assert counts == [1, 3]
    assert all("id" not in feature for feature in national["features"])

    street = _layer(client, "incidents", COUNTRY, zoom=selectors.MAX_GROUPING_ZOOM)
    assert (street["grouped"], street["truncated"], street["records"], len(street["features"])) == (False, True, 3, 3)

    monkeypatch.setattr(selectors, "FEATURE_CAP", 4)
    assert _layer(client, "incidents", COUNTRY, zoom=5)["grouped"] is False


def test_boundaries_come_from_the_database_simplified_by_zoom(client, partner_user):
    client.force_login(partner_user)

    national = client.get("/map/layers/boundaries/", {"bbox": COUNTRY, "zoom": 4})
    detailed = client.get("/map/layers/boundaries/", {"bbox": COUNTRY, "zoom": 12})

    coarse, fine = json.loads(national.content), json.loads(detailed.content)
    assert {f["properties"]["pcode"] for f in coarse["features"]} == {
        f["properties"]["pcode"] for f in fine["features"]
    }
    assert {f["properties"]["level"] for f in coarse["features"]} == {1}
    assert "ML05" in {f["properties"]["pcode"] for f in coarse["features"]}
    assert all(f["properties"]["name"] for f in coarse["features"])
    assert len(national.content) * 3 < len(detailed.content)
    # Only the régions the box touches.
    mopti = json.loads(client.get("/map/layers/boundaries/", {"bbox": AROUND_MOPTI, "zoom": 10}).content)
    assert {f["properties"]["pcode"] for f in mopti["features"]} == {"ML05"}


def test_a_layer_answers_in_the_same_queries_however_many_records(client, officer, partner_user, partner_a, past):
    _incident(partner_user, partner_a, past)
    client.force_login(officer)
    _layer(client, "incidents")
    with CaptureQueriesContext(connection) as one:
        _layer(client, "incidents")
    for _ in range(5):
        _incident(partner_user, partner_a, past)
    with CaptureQueriesContext(connection) as six:
        assert _layer(client, "incidents")["records"] == 6
    assert len(six) == len(one)


def test_layers_are_gzipped_for_slow_links(client, officer, partner_user, partner_a, past):
    for _ in range(30):
        _incident(partner_user, partner_a, past)
    client.force_login(officer)

    response = client.get("/map/layers/incidents/", {"bbox": COUNTRY, "zoom": 8}, HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"


# --- The page --------------------------------------------------------------------------------


def test_the_map_page_needs_a_login(client):
    response = client.get("/map/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_map_page_offers_layers_legend_and_lists_without_a_base_map(client, partner_user, settings):
    settings.MAP_TILE_URL = ""
    client.force_login(partner_user)

    response = client.get("/map/", HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="map" class="map" role="region" tabindex="0"' in html
    assert 'aria-label="Map of hazardous areas, incidents and land release activities"' in html
    for layer in ("hazards", "incidents", "activities", "boundaries"):
        assert f'<input type="checkbox" id="layer-{layer}"' in html
        assert f'<label for="layer-{layer}">' in html
    assert "Confirmed hazardous area (CHA)" in html
    assert "Partially released" in html
    assert 'href="/community-reports/"' in html
    config = json.loads(html.split('<script id="map-config" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["tileUrl"] == ""
    assert config["extent"] == [-12.27, 10.14, 4.24, 25.0]
    assert {layer["name"]: layer["url"] for layer in config["layers"]}["incidents"] == "/map/layers/incidents/"
    assert "https://" not in html.split("<main", 1)[1]
