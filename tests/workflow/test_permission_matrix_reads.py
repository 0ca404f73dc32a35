"""Which of partner A's records, in every state, each read door shows each role: OGC API -
Features, vector tiles, the map's GeoJSON layers, exports and statistics.

Every door must show exactly what the API's list shows the same user (core.selectors), checked
here against DOMAIN.md's roles as well: the authority and partner A read partner A's records in
every state but deleted; partner B reads its approved ones only, never its drafts; a viewer reads
aggregates only (statistics of approved records), no record. Casualties' identities appear in no
door, for anyone. Personas and records are the API matrix's (tests/workflow/test_permission_matrix.py).
"""

import csv
import io
import json
import math

import mapbox_vector_tile
import pytest
from django.test import Client
from rest_framework.test import APIClient

from core import registry
from core.models import RecordStatus
from core.policy import SYSTEM
from core.workflow import record_soft_delete
from hazards.models import LandReleaseActivity
from reports.models import Export
from reports.services import export_write
from tests.geo import GAO, MOPTI, point
from tests.people import member
from tests.workflow import test_permission_matrix as api_matrix
from tests.workflow.test_permission_matrix import ALL, AUTHORITY_ROLES, DM, TYPES, VIEWER, _make

pytestmark = pytest.mark.django_db

# Partner A's data manager, who reported every record: the API matrix's fixture.
reporter = api_matrix.reporter

STATES = ("draft", "submitted", "approved", "rejected", "deleted")
# Partner B's data manager reads partner A's records as another partner.
PARTNER_B = "partner_b_data_manager"
READERS = [*sorted(ALL), PARTNER_B]
# The casualty's name _make writes in its identity: no door may show it.
IDENTITY = "Oumar Maïga"
OGC_COLLECTIONS = ("hazard-areas", "land-release-activities", "incidents", "risk-education-sessions")
TILE_LAYERS = ("hazard-areas", "incidents")
# The map's GeoJSON layers and the API's name of the records they show.
MAP_LAYERS = {"hazards": "hazard-areas", "incidents": "incidents", "activities": "land-release-activities",
              "community-reports": "community-reports"}  # fmt: skip
STATISTICS = ("hazard-areas", "land-release-activities", "incidents", "casualties", "risk-education-sessions")


def expected(reader: str) -> set[str]:
    """The states of partner A's records a reader sees, written from DOMAIN.md's roles."""
    if reader == VIEWER:
        return set()
    if reader == PARTNER_B:
        return {"approved"}
    return {"draft", "submitted", "approved", "rejected"}


@pytest.fixture
def records(reporter, partner_a) -> dict[str, dict[int, str]]:
    """Partner A's records of every type in every state: {type: {id: state}}."""
    built: dict[str, dict[int, str]] = {}
    for resource in TYPES:
        built[resource] = {}
        for state in STATES:
            record = _make(resource, reporter, partner_a, RecordStatus.DRAFT if state == "deleted" else state)
            if resource == "land-release-activities":
                # Placed, so that the map's layer draws it (an activity is drawn at its location).
                LandReleaseActivity.objects.filter(pk=record.pk).update(location=point(MOPTI))
            if state == "deleted":
                # A casualty leaves with its incident's report (deletion of a report is soft).
                record_soft_delete(record=record.incident if resource == "casualties" else record, user=SYSTEM)
            built[resource][record.pk] = state
    return built


@pytest.fixture(params=READERS)
def reader(request, django_user_model, authority, partner_a, partner_b):
    name = request.param
    role = DM if name == PARTNER_B else name
    organisation = authority if role in AUTHORITY_ROLES else partner_b if name == PARTNER_B else partner_a
    user = member(django_user_model, f"reader-{name}", organisation, role)
    return name, user


def _api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def _browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _states(ids, built: dict[int, str]) -> set[str]:
    return {built[pk] for pk in ids if pk in built}


def _api_list(user, resource: str) -> set[int] | None:
    response = _api(user).get(f"/api/v1/{resource}/", {"page_size": 200})
    if response.status_code == 403:
        return None
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def test_every_read_door_shows_what_the_api_list_shows(reader, records):
    name, user = reader
    api = _api(user)
    browser = _browser(user)
    api_lists = {resource: _api_list(user, resource) for resource in TYPES}
    # The API's list itself, against DOMAIN.md: the doors below are held to both.
    assert {
        resource: None if ids is None else _states(ids, records[resource]) for resource, ids in api_lists.items()
    } == {resource: None if name == VIEWER else expected(name) for resource in TYPES}
    shown: dict[str, set[str]] = {}
    bodies: list[bytes] = []

    listed = {c["id"] for c in browser.get("/ogcapi/collections", {"f": "json"}).json()["collections"]}
    assert listed == ({"admin-areas"} if name == VIEWER else {*OGC_COLLECTIONS, "admin-areas"})
    for collection in OGC_COLLECTIONS:
        response = browser.get(f"/ogcapi/collections/{collection}/items", {"f": "json", "limit": 1000})
        bodies.append(response.content)
        if name == VIEWER:
            # A collection the role may not read answers as one that does not exist.
            assert response.status_code == 404
            shown[f"ogc {collection}"] = set()
            continue
        assert response.status_code == 200, response.content[:300]
        features = response.json()["features"]
        shown[f"ogc {collection}"] = _states((int(f["id"]) for f in features), records[collection])
        # One feature asked by id answers as the list does.
        for pk, state in records[collection].items():
            one = browser.get(f"/ogcapi/collections/{collection}/items/{pk}", {"f": "json"})
            assert one.status_code == (200 if state in expected(name) else 404), (collection, state)

    for layer in TILE_LAYERS:
        place = (MOPTI[0] + 0.005, MOPTI[1] + 0.005) if layer == "hazard-areas" else GAO
        x, y = _tile(*place, 12)
        response = browser.get(f"/tiles/{layer}/12/{x}/{y}.pbf")
        bodies.append(response.content)
        if name == VIEWER:
            assert response.status_code == 403
            shown[f"tiles {layer}"] = set()
            continue
        assert response.status_code == 200
        decoded = mapbox_vector_tile.decode(response.content) if response.content else {}
        features = decoded.get(layer, {}).get("features", [])
        shown[f"tiles {layer}"] = _states((f["id"] for f in features), records[layer])

    for layer, resource in MAP_LAYERS.items():
        response = browser.get(f"/map/layers/{layer}/", {"bbox": "-5,14,1,17", "zoom": 12})
        bodies.append(response.content)
        if name == VIEWER:
            assert response.status_code == 403
            shown[f"map {layer}"] = set()
            continue
        assert response.status_code == 200, response.content[:300]
        shown[f"map {layer}"] = _states((f["id"] for f in response.json()["features"]), records[resource])

    for resource in TYPES:
        rows = _export(api, resource)
        if rows is None:
            shown[f"export {resource}"] = set()
            continue
        bodies.append(json.dumps(rows).encode())
        shown[f"export {resource}"] = _states((int(row["id"]) for row in rows), records[resource])

    assert shown == {door: expected(name) for door in shown}
    assert not [body for body in bodies if IDENTITY.encode() in body]


def _export(api: APIClient, resource: str) -> list[dict] | None:
    """The CSV export of the whole list, written as the worker writes it; None when refused."""
    response = api.post("/api/v1/exports/", {"resource": resource, "format": "csv"}, format="json")
    if response.status_code == 403:
        return None
    assert response.status_code == 202, response.content
    export_write(export_id=response.json()["id"])
    assert Export.objects.get(pk=response.json()["id"]).status == Export.Status.DONE
    download = api.get(f"/api/v1/exports/{response.json()['id']}/download/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content) if download.streaming else download.content
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_statistics_count_approved_records_only_and_a_viewer_reads_them(reader, records):
    """Statistics are aggregates of approved records (DOMAIN.md: only approved data updates the
    national picture), the same count for every role that reads them, the viewer included."""
    name, user = reader
    api = _api(user)
    counts = {}
    for resource in STATISTICS:
        response = api.get(f"/api/v1/statistics/{resource}/", {"group_by": "year"})
        body = response.content
        assert IDENTITY.encode() not in body
        if response.status_code == 403:
            counts[resource] = None
            continue
        assert response.status_code == 200, body[:300]
        counts[resource] = sum(row["count"] for row in response.json()["results"])
    # A field user's role has no right to statistics; every other role reads the approved ones.
    approved = {resource: _approved(resource) for resource in STATISTICS}
    assert counts == (dict.fromkeys(STATISTICS) if name == "partner_field_user" else approved)
    for resource, ids in {r: _api_list(user, r) for r in STATISTICS}.items():
        if ids is not None:
            model = registry.by_slug(resource).model
            assert (
                model.objects.filter(pk__in=ids, **{f"{_owner(resource)}status": "approved"}).count()
                == approved[resource]
            )


def _owner(resource: str) -> str:
    return registry.by_slug(resource).owner_path


def _approved(resource: str) -> int:
    """Approved records of the type, of live reports: all of them partner A's."""
    model, via = registry.by_slug(resource).model, _owner(resource)
    return model.objects.filter(**{f"{via}status": "approved", f"{via}deleted_at__isnull": True}).count()
