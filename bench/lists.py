"""What the API's lists and details cost: `GET /api/v1/incidents/` and `/api/v1/hazard-areas/`, a
page of 100 served in process (a token read, scoping, filters, the page read as values, nested casualties
and sources, JSON or GeoJSON), against one statement that builds the same page as one JSON text in
PostgreSQL (`json_agg` of the same fields, `ST_AsGeoJSON`), with the scoping condition the code writes
for that user (`core.selectors.scoped`): the first page, with and without a `bbox` around Mopti, and a
page 50,000 records deep (by cursor: a condition on the last change read, no OFFSET); then an incident's detail with
its casualties. Each page is checked against the raw statement's ids, in order, before it is timed.

Run on a database holding demo data; the figures that matter come from the `large` scale:
    DATABASE_URL=postgis://mineaction:mineaction@127.0.0.1:5432/mineaction_large .venv/bin/python bench/lists.py
`--rounds N` sets the runs per median (default 9). The users it makes are rolled back.
"""

import base64
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench._support import authority_and_partner, on_demo_data, record, sampled, serving_in_process  # noqa: E402
from bench.ogcapi import scope_condition  # noqa: E402
from incidents.models import Incident  # noqa: E402

BOX = (-4.7, 14.0, -3.7, 15.0)
DEEP = 50_000
SIZE = 100

FIELDS = {
    "incidents": """i.id, i.reference, i.external_id, o.acronym AS organisation, i.status, i.status_reason, i.version,
  i.incident_class, i.incident_date, i.date_precision, i.incident_time, ST_AsGeoJSON(i.location, 15)::json AS location,
  i.locality_id AS locality, a.pcode AS admin_area, i.device_category, i.device_category_reported,
  i.device_category_reported_derived, i.ordnance_type_id AS ordnance_type, i.activation, i.how_activated,
  i.person_activated, i.anti_handling_device, i.moved_or_tampered, i.activity_at_time, i.description,
  (SELECT coalesce(json_agg(json_build_object('id', c.id, 'external_id', c.external_id, 'outcome', c.outcome,
     'sex', c.sex, 'age', c.age, 'age_group', c.age_group, 'civilian_status', c.civilian_status,
     'injuries', c.injuries, 'injury_description', c.injury_description) ORDER BY c.id), '[]')
   FROM incidents_casualty c WHERE c.incident_id = i.id) AS casualties,
  (SELECT coalesce(json_agg(json_build_object('id', s.id, 'source_type', s.source_type, 'organisation',
     s.organisation_id, 'name', s.name, 'reliability', s.reliability, 'reported_on', s.reported_on,
     'source_reference', s.source_reference) ORDER BY s.id), '[]')
   FROM incidents_incidentsource s WHERE s.incident_id = i.id) AS sources,
  i.created_at, i.updated_at""",
    "hazard-areas": """i.id, i.reference, i.external_id, o.acronym AS organisation, i.status, i.status_reason,
  i.version, i.name, i.land_class, ST_AsGeoJSON(i.geometry, 15)::json AS geometry, i.area_m2, i.contamination_types,
  i.contamination_types_reported, i.improvised_av_person_sensitive, i.evidence, i.evidence_description,
  i.hazard_status, i.hazard_status_date, i.hazard_status_reason, i.blocked_land_use, i.beneficiaries, i.priority,
  i.survey_date, i.date_precision, a.pcode AS admin_area, i.area_cancelled_m2, i.area_reduced_m2, i.area_cleared_m2,
  i.remaining_area_m2, i.created_at, i.updated_at""",
}
GEOMETRY = {"incidents": "location", "hazard-areas": "geometry"}


def _scoped(resource: str, user) -> tuple[str, str, list]:
    """The table and the WHERE the code writes for what the user may read, the table named `i`."""
    table, where, params = scope_condition(resource, user)
    return table, where.replace(f'"{table}".', "i."), params


def raw_page(resource: str, user, *, box: bool, after: tuple | None, geojson: bool) -> tuple[str, list]:
    """The page as one JSON text, built by PostgreSQL alone."""
    table, where, params = _scoped(resource, user)
    if box:
        where += f" AND i.{GEOMETRY[resource]} && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
        params = [*params, *BOX]
    if after is not None:
        # The cursor's own condition: before the position of the last record read.
        where += " AND i.updated_at < %s"
        params = [*params, after[0]]
    rows = (
        f"SELECT {FIELDS[resource]} FROM {table} i JOIN reference_organisation o ON o.id = i.organisation_id "
        f"LEFT JOIN reference_administrativearea a ON a.id = i.admin_area_id WHERE {where} "
        f"ORDER BY i.updated_at DESC, i.id DESC LIMIT {SIZE}"
    )
    if geojson:
        geometry = GEOMETRY[resource]
        sql = (
            "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object("
            f"'type', 'Feature', 'id', r.id, 'geometry', r.{geometry}, 'properties', to_jsonb(r) - '{geometry}')), "
            f"'[]'))::text FROM ({rows}) r"
        )
    else:
        sql = f"SELECT json_build_object('count', NULL, 'results', coalesce(json_agg(r), '[]'))::text FROM ({rows}) r"
    return sql, params


def _raw(sql: str, params: list) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return json.loads(cursor.fetchone()[0])


def _ids(body: dict) -> list[int]:
    return [r["id"] for r in body.get("results") or body.get("features")]


def _deep_position(resource: str, user) -> tuple:
    table, where, params = scope_condition(resource, user)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT updated_at, id FROM {table} WHERE {where} ORDER BY updated_at DESC, id DESC OFFSET %s LIMIT 1",
            [*params, DEEP - 1],
        )
        return cursor.fetchone()


def _cursor_after(position) -> str:
    # DRF's cursor: the position (the first ordering field) of the last record read, base64.
    return base64.b64encode(urlencode({"p": str(position[0])}).encode()).decode()


def run(rounds: int) -> None:
    serving_in_process()
    for who, user in authority_and_partner("bench.lists").items():
        # By token, as a partner's script: the account is read again on every request.
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        for resource in ("incidents", "hazard-areas"):
            position = _deep_position(resource, user)
            for geojson in (False, True):
                # The deep page where that many records are visible.
                for box, after in ((False, None), (True, None), *([(False, position)] if position else [])):
                    query = {"page_size": SIZE}
                    if geojson:
                        query["format"] = "geojson"
                    if box:
                        query["bbox"] = ",".join(map(str, BOX))
                    if after is not None:
                        query["cursor"] = _cursor_after(after)
                    url = f"/api/v1/{resource}/?{urlencode(query)}"
                    sql, params = raw_page(resource, user, box=box, after=after, geojson=geojson)
                    served = client.get(url)
                    if served.status_code != 200:
                        sys.exit(f"{url}: HTTP {served.status_code} {served.content[:300]!r}")
                    if _ids(served.json()) != _ids(_raw(sql, params)):
                        sys.exit(f"{url}: not the raw statement's records")
                    ours = sampled(lambda url=url, client=client: client.get(url).content, rounds, warm=True)
                    raw = sampled(lambda sql=sql, params=params: _raw(sql, params), rounds, warm=True)
                    where = "deep (50,000 on)" if after else "bbox" if box else "first"
                    case = f"{who}: {resource} {'GeoJSON' if geojson else 'JSON'}, page of 100, {where}"
                    _print(case, *record("lists", case, ours, raw, target=3.0))
        incident = Incident.objects.filter(casualties__isnull=False).order_by("-id").first()
        _detail(client, who, incident, user, rounds)


def _detail(client, who: str, incident, user, rounds: int) -> None:
    url = f"/api/v1/incidents/{incident.pk}/"
    table, where, params = _scoped("incidents", user)
    sql = (
        f"SELECT row_to_json(r)::text FROM (SELECT {FIELDS['incidents']} FROM {table} i JOIN reference_organisation o "
        "ON o.id = i.organisation_id LEFT JOIN reference_administrativearea a ON a.id = i.admin_area_id "
        f"WHERE {where} AND i.id = %s) r"
    )
    if client.get(url).status_code != 200 or _raw(sql, [*params, incident.pk])["id"] != incident.pk:
        sys.exit(f"{url}: not readable")
    ours = sampled(lambda: client.get(url).content, rounds * 3, warm=True)
    raw = sampled(lambda: _raw(sql, [*params, incident.pk]), rounds * 3, warm=True)
    case = f"{who}: incident detail with {incident.casualties.count()} casualties (p50 ≤ 20 ms)"
    _print(case, *record("detail", case, ours, raw, target=None, p50_target_ms=20))


def _print(case: str, a: float, b: float) -> None:
    print(f"  {case:<70} {a * 1000:8.1f}ms {b * 1000:8.1f}ms {a / b:6.2f}×")


if __name__ == "__main__":
    on_demo_data(run, description=__doc__.splitlines()[0], rounds=9)
