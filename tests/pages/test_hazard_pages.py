"""Hazardous areas and land release activities through their pages: a polygon from a KML file or
pasted GeoJSON, errors next to the fields, lists, edits, another partner kept out, and the
reconciliation of overlapping hazardous areas."""

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Profile
from core.models import RecordStatus
from hazards.models import HazardArea, LandReleaseActivity
from hazards.services import hazard_area_create
from tests.geo import MOPTI, bowtie, square

pytestmark = pytest.mark.django_db

SQUARE = [[-4.19, 14.49], [-4.18, 14.49], [-4.18, 14.50], [-4.19, 14.50], [-4.19, 14.49]]
KML = (
    '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark>'
    "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
    + " ".join(f"{x},{y},290" for x, y in SQUARE)
    + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"
).encode()


def _form(**overrides) -> dict:
    data = {
        "organisation": "",
        "name": "Champ de Sévaré",
        "land_class": "cha",
        "survey_date": "2024-03-15",
        "date_precision": "day",
        "geometry": "",
        "contamination_types": ["improvised_ap_mines"],
        "improvised_av_person_sensitive": "unknown",
        "evidence": "direct",
        "beneficiaries": "120",
        "priority": "2",
    }
    data.update(overrides)
    return data


def _hazard(user, organisation, past, where=MOPTI, size=0.01, **data) -> HazardArea:
    return hazard_area_create(
        user=user,
        organisation=organisation,
        data={"land_class": "cha", "geometry": square(where, size), "evidence": "direct", "survey_date": past,
              "contamination_types": ["improvised_ap_mines"], **data},
    )  # fmt: skip


def _approve(*records) -> None:
    # The approval workflow has its own tests; here only the state matters.
    for record in records:
        type(record).objects.filter(pk=record.pk).update(status=RecordStatus.APPROVED)


@pytest.fixture
def client():
    # Messages are asserted in English; without the header the pages answer in French.
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def other_partner(django_user_model, partner_b):
    """Partner B's data manager: must not reach partner A's drafts."""
    user = django_user_model.objects.create_user("fatou.drc", password="x")
    Profile.objects.create(user=user, organisation=partner_b)
    user.groups.add(Group.objects.get(name="partner_data_manager"))
    return user


# --- Creating a hazardous area --------------------------------------------------------------


def test_a_partner_creates_a_hazard_area_by_uploading_a_kml_file(client, partner_user, partner_a):
    client.force_login(partner_user)
    upload = SimpleUploadedFile("zone.kml", KML, content_type="application/vnd.google-earth.kml+xml")

    response = client.post("/hazards/new/", _form(organisation=partner_a.pk, geometry_file=upload))

    hazard = HazardArea.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/hazards/{hazard.pk}/"
    assert hazard.organisation == partner_a
    assert hazard.created_by == partner_user
    assert hazard.geometry.geom_type == "MultiPolygon"
    assert not hazard.geometry.hasz
    assert hazard.geometry[0].exterior_ring.coords == tuple(tuple(p) for p in SQUARE)
    assert hazard.admin_area is not None
    page = client.get(response["Location"]).content.decode()
    assert hazard.reference in page
    assert " ha)" in page
    assert 'id="record-geometry"' in page
    assert f"/hazards/{hazard.pk}/edit/" in page
    assert 'name="action" value="submit"' in page


def test_an_officer_creates_a_hazard_area_from_pasted_geojson_and_learns_it_was_kept_as_parts(
    client, officer, partner_a
):
    client.force_login(officer)
    east = [[x + 0.02, y] for x, y in SQUARE]
    pasted = {"type": "MultiPolygon", "coordinates": [[SQUARE], [east]]}

    response = client.post("/hazards/new/", _form(organisation=partner_a.pk, geometry=json.dumps(pasted)),
                           follow=True)  # fmt: skip

    hazard = HazardArea.objects.get()
    assert response.status_code == 200
    assert hazard.organisation == partner_a
    assert hazard.geometry.num_geom == 2
    assert hazard.area_m2 == pytest.approx(2 * 1.2e6, rel=0.05)
    html = response.content.decode()
    assert "More than one polygon: the 2 polygons are kept as a multipolygon" in html


def test_a_self_intersecting_polygon_is_refused_next_to_the_geometry_field(client, partner_user, partner_a):
    client.force_login(partner_user)

    response = client.post("/hazards/new/", _form(organisation=partner_a.pk, geometry=bowtie().json))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_geometry_error"' in html
    assert "The geometry is not valid: Self-intersection" in html
    # What was pasted is still there, to be corrected rather than typed again.
    assert "coordinates" in html
    assert not HazardArea.objects.exists()


def test_an_unreadable_file_or_no_polygon_at_all_is_refused_next_to_its_field(client, partner_user, partner_a):
    client.force_login(partner_user)
    bomb = SimpleUploadedFile(
        "bomb.kml", b'<?xml version="1.0"?><!DOCTYPE k [<!ENTITY a "aaaa">]><kml>&a;</kml>', content_type="text/xml"
    )

    refused = client.post("/hazards/new/", _form(organisation=partner_a.pk, geometry_file=bomb))
    empty = client.post("/hazards/new/", _form(organisation=partner_a.pk))
    line = client.post(
        "/hazards/new/", _form(organisation=partner_a.pk, geometry="LINESTRING(-4.19 14.49, -4.18 14.49)")
    )

    assert refused.status_code == empty.status_code == line.status_code == 400
    html = refused.content.decode()
    assert 'id="id_geometry_file_error"' in html
    assert "it declares a document type or entities" in html
    assert "Draw the polygon, load a file or paste its coordinates." in empty.content.decode()
    assert "No polygon in this file: it holds only 1 line." in line.content.decode()
    assert not HazardArea.objects.exists()


def test_a_polygon_outside_the_country_is_refused_by_the_service_next_to_the_field(client, partner_user, partner_a):
    client.force_login(partner_user)
    paris = square((2.35, 48.85)).json

    response = client.post("/hazards/new/", _form(organisation=partner_a.pk, geometry=paris))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_geometry_error"' in html
    assert "outside the country" in html
    assert not HazardArea.objects.exists()


def test_the_form_offers_the_drawing_map_and_a_file_to_load(client, partner_user):
    client.force_login(partner_user)

    html = client.get("/hazards/new/").content.decode()

    assert 'data-draw-polygon data-input="id_geometry" data-file-input="id_geometry_file"' in html
    assert 'type="file" name="geometry_file"' in html
    assert "/static/js/draw-polygon.js" in html
    assert "/static/vendor/ol/ol.js" in html
    assert 'name="geometry"' in html


# --- Lists ----------------------------------------------------------------------------------


def test_the_list_filters_sorts_and_runs_a_bounded_number_of_queries(client, officer, partner_a, past):
    small = _hazard(officer, partner_a, past, size=0.005, land_class="sha")
    large = _hazard(officer, partner_a, past, where=(-4.15, 14.49), size=0.02)
    client.force_login(officer)

    by_class = client.get("/hazards/?category=cha").content.decode()
    by_area = client.get("/hazards/?ordering=-area_m2").content.decode()
    by_area_asc = client.get("/hazards/?ordering=area_m2").content.decode()

    assert large.reference in by_class
    assert small.reference not in by_class
    assert by_area.index(large.reference) < by_area.index(small.reference)
    assert by_area_asc.index(small.reference) < by_area_asc.index(large.reference)
    assert 'aria-sort="descending"' in by_area
    assert "Anti-personnel" in by_class or "Improvised anti-personnel mines" in by_class
    with CaptureQueriesContext(connection) as two:
        client.get("/hazards/")
    for step in range(4):
        _hazard(officer, partner_a, past, where=(-4.0 + step * 0.05, 14.6))
    with CaptureQueriesContext(connection) as six:
        assert client.get("/hazards/").status_code == 200
    assert len(six) == len(two)


# --- Editing --------------------------------------------------------------------------------


def test_an_edit_changes_only_what_changed_through_the_service(client, partner_user, partner_a, past):
    hazard = _hazard(partner_user, partner_a, past, name="Ancien nom")
    client.force_login(partner_user)
    page = client.get(f"/hazards/{hazard.pk}/edit/").content.decode()
    assert "Ancien nom" in page
    assert "MultiPolygon" in page

    # The form sent back as it was shown, with a new name.
    shown = HazardArea.objects.get(pk=hazard.pk).geometry.json
    response = client.post(
        f"/hazards/{hazard.pk}/edit/",
        _form(organisation=partner_a.pk, name="Nouveau nom", geometry=shown, survey_date=past.isoformat(),
              beneficiaries="0"),
    )  # fmt: skip

    assert response.status_code == 302
    edited = HazardArea.objects.get(pk=hazard.pk)
    assert edited.name == "Nouveau nom"
    assert edited.updated_by == partner_user
    assert edited.version > hazard.version
    assert edited.geometry.equals_exact(hazard.geometry, tolerance=1e-9)

    bigger = square(MOPTI, 0.02).wkt
    client.post(f"/hazards/{hazard.pk}/edit/", _form(organisation=partner_a.pk, name="Nouveau nom", geometry=bigger,
                                                     survey_date=past.isoformat()))  # fmt: skip
    assert HazardArea.objects.get(pk=hazard.pk).area_m2 == pytest.approx(4 * hazard.area_m2, rel=0.01)


# --- Land release activities ----------------------------------------------------------------


def test_an_activity_is_recorded_in_hectares_and_edited(client, partner_user, partner_a, past):
    hazard = _hazard(partner_user, partner_a, past)
    client.force_login(partner_user)
    new = client.get(f"/activities/new/?hazard={hazard.pk}").content.decode()
    assert f'value="{hazard.reference}"' in new

    data = {
        "organisation": partner_a.pk,
        "kind": "clearance",
        "report_type": "progress",
        "hazard_area": hazard.reference,
        "start_date": "2024-03-20",
        "date_precision": "day",
        "area_unit": "ha",
        "area_cleared_m2": "1.5",
        "handover_men": "0",
        "handover_women": "0",
        "handover_boys": "0",
        "handover_girls": "0",
    }
    wrong = client.post("/activities/new/", {**data, "kind": "nts"})
    assert wrong.status_code == 400
    assert 'id="id_area_cleared_m2_error"' in wrong.content.decode()
    assert "Only clearance or a technical survey clears land." in wrong.content.decode()
    backwards = client.post("/activities/new/", {**data, "end_date": "2024-03-10"})
    assert backwards.status_code == 400
    assert 'id="id_end_date_error"' in backwards.content.decode()
    assert "The end date cannot be before the start date." in backwards.content.decode()
    assert not LandReleaseActivity.objects.exists()

    created = client.post("/activities/new/", data)

    activity = LandReleaseActivity.objects.get()
    assert created.status_code == 302
    assert created["Location"] == f"/activities/{activity.pk}/"
    assert activity.hazard_area == hazard
    assert activity.area_cleared_m2 == pytest.approx(15_000)
    page = client.get(created["Location"]).content.decode()
    assert f'href="/hazards/{hazard.pk}/"' in page
    assert "Items found" in page
    assert "Quality inspections" in page
    hazard_page = client.get(f"/hazards/{hazard.pk}/").content.decode()
    assert f'href="/activities/{activity.pk}/"' in hazard_page

    edited = client.post(f"/activities/{activity.pk}/edit/", {**data, "area_unit": "m2", "area_cleared_m2": "15000",
                                                               "notes": "Fin de la première phase"})  # fmt: skip
    assert edited.status_code == 302
    activity.refresh_from_db()
    assert activity.notes == "Fin de la première phase"
    assert activity.area_cleared_m2 == pytest.approx(15_000)
    assert activity.updated_by == partner_user


def test_an_unknown_hazard_reference_is_an_error_next_to_the_field(client, partner_user, partner_a):
    client.force_login(partner_user)

    response = client.post("/activities/new/", {"organisation": partner_a.pk, "kind": "clearance",
                                                 "report_type": "progress", "hazard_area": "ML-HA-999999",
                                                 "start_date": "2024-03-20", "date_precision": "day",
                                                 "area_unit": "m2"})  # fmt: skip

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_hazard_area_error"' in html
    assert "No hazardous area with this reference, or not visible to you." in html


# --- Another partner ------------------------------------------------------------------------


def test_another_partner_cannot_reach_a_draft_through_any_page(client, partner_user, partner_a, other_partner, past):
    hazard = _hazard(partner_user, partner_a, past)
    client.force_login(other_partner)

    assert hazard.reference not in client.get("/hazards/").content.decode()
    assert client.get(f"/hazards/{hazard.pk}/").status_code == 404
    assert client.get(f"/hazards/{hazard.pk}/edit/").status_code == 404
    assert client.post(f"/hazards/{hazard.pk}/edit/", _form(geometry=square().json)).status_code == 404
    assert client.post(f"/hazards/{hazard.pk}/transition/", {"action": "submit"}).status_code == 404
    # Nor may it hang its own activity on that draft.
    response = client.post("/activities/new/", {"kind": "clearance", "report_type": "progress",
                                                "hazard_area": hazard.reference, "start_date": "2024-03-20",
                                                "date_precision": "day", "area_unit": "m2"})  # fmt: skip
    assert response.status_code == 400
    assert "No hazardous area with this reference, or not visible to you." in response.content.decode()
    assert HazardArea.objects.get(pk=hazard.pk).status == RecordStatus.DRAFT


# --- Reconciliation -------------------------------------------------------------------------


def test_the_officer_merges_two_overlapping_approved_hazards(client, officer, partner_a, partner_b, past):
    keep = _hazard(officer, partner_a, past)
    duplicate = _hazard(officer, partner_b, past, where=(MOPTI[0] + 0.002, MOPTI[1]))
    far = _hazard(officer, partner_b, past, where=(-0.04, 16.27))
    _approve(keep, duplicate, far)
    client.force_login(officer)

    page = client.get("/reconciliation/hazards/").content.decode()
    assert keep.reference in page
    assert duplicate.reference in page
    assert far.reference not in page
    # Shifted east by a fifth of its width: four fifths of the land is the same.
    assert re.search(r"(79|80) % overlap: [0-9,]+ m²", page)
    chosen = client.get(f"/reconciliation/hazards/?hazard={keep.pk}").content.decode()
    assert duplicate.reference in chosen

    response = client.post(
        "/reconciliation/hazards/",
        {"first": duplicate.pk, "second": keep.pk, "keep": keep.pk, "reason": "Même champ, deux enquêtes"},
        follow=True,
    )

    assert response.status_code == 200
    assert f"{duplicate.reference} was merged into {keep.reference}." in response.content.decode()
    assert not HazardArea.objects.filter(pk=duplicate.pk).exists()
    merged = HazardArea.objects.get(pk=keep.pk)
    assert merged.area_m2 == pytest.approx(1.2 * keep.area_m2, rel=0.01)
    gone = HazardArea.all_objects.get(pk=duplicate.pk)
    assert gone.status_reason == f"Merged {duplicate.reference} into {keep.reference}: Même champ, deux enquêtes"


def test_a_refused_merge_is_a_message_and_nothing_changes(client, officer, partner_a, partner_b, past):
    keep = _hazard(officer, partner_a, past)
    duplicate = _hazard(officer, partner_b, past, where=(MOPTI[0] + 0.002, MOPTI[1]))
    # An approved duplicate only goes into an approved record.
    _approve(duplicate)
    client.force_login(officer)

    response = client.post("/reconciliation/hazards/", {"first": keep.pk, "second": duplicate.pk, "keep": keep.pk},
                           follow=True)  # fmt: skip
    nothing_chosen = client.post("/reconciliation/hazards/", {"first": keep.pk, "second": duplicate.pk}, follow=True)

    assert response.status_code == 200
    assert f"{duplicate.reference} → {keep.reference}:" in response.content.decode()
    assert "Choose which of the two hazardous areas to keep." in nothing_chosen.content.decode()
    assert HazardArea.objects.filter(pk=duplicate.pk).exists()
    assert HazardArea.objects.get(pk=keep.pk).area_m2 == pytest.approx(keep.area_m2)


def test_a_partner_may_not_reconcile(client, partner_user, partner_a, past):
    hazard = _hazard(partner_user, partner_a, past)
    other = _hazard(partner_user, partner_a, past, where=(MOPTI[0] + 0.002, MOPTI[1]))
    client.force_login(partner_user)

    assert client.get("/reconciliation/hazards/").status_code == 403
    response = client.post("/reconciliation/hazards/", {"first": hazard.pk, "second": other.pk, "keep": hazard.pk})
    assert response.status_code == 403
    assert HazardArea.objects.filter(pk=other.pk).exists()
    assert "/reconciliation/hazards/" not in client.get(f"/hazards/{hazard.pk}/").content.decode()
