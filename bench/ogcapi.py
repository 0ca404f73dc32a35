"""What an OGC API – Features page costs: `GET /ogcapi/collections/<id>/items?limit=100` served in
process (session, user, scoping, the count behind `numberMatched`, the page's rows with PostGIS's
GeoJSON, the features joined into one body) against the same page built by PostGIS alone: the count,
then one statement whose answer is the whole FeatureCollection as one JSON text (`json_agg` of
`json_build_object`, `ST_AsGeoJSON`), with the scoping condition the code writes for that user
(`core.selectors.scoped`). For incidents and hazardous areas, with and without a `bbox` around Mopti
(lon -4.2, lat 14.5, ±0.5°), the first page and the page at offset 50,000 where that many match, as
an authority officer and as a partner.

Run on a database holding demo data; the figures that matter come from the `large` scale
(100,000 hazardous areas, 1,000,000 incidents):
    DATABASE_URL=postgis://mineaction:mineaction@127.0.0.1:5432/mineaction_large \\
        .venv/bin/python bench/ogcapi.py
`--rounds N` sets the runs per median (default 7). Each page is checked against the raw statement's
(the same feature ids in the same order, the same properties) before it is timed. The users it
makes are rolled back: the database is left as it was.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench._support import authority_and_partner, on_demo_data, serving_in_process, timed  # noqa: E402
from core import registry  # noqa: E402
from core.selectors import scoped  # noqa: E402
from gis import ogcapi  # noqa: E402
from incidents.models import Incident  # noqa: E402

MOPTI = (-4.2, 14.5)
BOX = (MOPTI[0] - 0.5, MOPTI[1] - 0.5, MOPTI[0] + 0.5, MOPTI[1] + 0.5)
COLLECTIONS = ("incidents", "hazard-areas")
LIMIT = 100
DEEP = 50_000
# The precision Django's AsGeoJSON asks of PostGIS, which the endpoint uses.
PRECISION = 8


def scope_condition(collection: str, user) -> tuple[str, str, list]:
    """The table and the WHERE (with its parameters) the code writes for what the user may read."""
    model = registry.by_slug(collection).model
    table = model._meta.db_table
    sql, params = scoped(model.objects.all(), user).order_by().values("pk").query.sql_with_params()
    head = f'SELECT "{table}"."id" AS "pk" FROM "{table}" WHERE '
    if not sql.startswith(head) or " JOIN " in sql:
        sys.exit(f"{collection}: the scoped query is no longer one table and a WHERE: {sql}")
    return table, sql[len(head) :], list(params)


def raw_statements(collection: str, user, *, box: bool, offset: int) -> tuple[str, str, list]:
    """The count and the page as PostGIS alone would answer them, and their parameters."""
    table, where, params = scope_condition(collection, user)
    geometry = registry.by_slug(collection).geometry_field
    if box:
        where = f'({where}) AND ST_Intersects("{table}"."{geometry}", ST_MakeEnvelope(%s, %s, %s, %s, 4326))'
        params = [*params, *BOX]
    columns, properties = [], []
    for n, (name, lookup) in enumerate(ogcapi.PROPERTIES[collection].items()):
        column = 'a."pcode"' if lookup == "admin_area__pcode" else f'"{table}"."{lookup}"'
        columns.append(f"{column} AS p{n}")
        properties.append(f"'{name}', r.p{n}")
    count = f'SELECT count(*) FROM "{table}" WHERE {where}'
    page = (
        "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object("
        f"'type', 'Feature', 'id', r.id, 'geometry', ST_AsGeoJSON(r.geom, {PRECISION})::json, 'properties', "
        f"json_build_object({', '.join(properties)})) ORDER BY r.id), '[]'::json))::text FROM ("
        f'SELECT "{table}"."id", "{table}"."{geometry}" AS geom, {", ".join(columns)} FROM "{table}" '
        f'LEFT JOIN "reference_administrativearea" a ON a."id" = "{table}"."admin_area_id" '
        f'WHERE {where} ORDER BY "{table}"."id" LIMIT {LIMIT} OFFSET {offset}) r'
    )
    return count, page, params


def _one(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _same_properties(ours: dict, theirs: dict) -> bool:
    """Equal, numbers compared as numbers (Python and PostgreSQL may write a float differently)."""
    if ours.keys() != theirs.keys():
        return False
    for key, value in ours.items():
        other = theirs[key]
        if isinstance(value, int | float) and isinstance(other, int | float):
            if abs(value - other) > max(1e-9, abs(other) * 1e-12):
                return False
        elif value != other:
            return False
    return True


def measure(client, user, who: str, collection: str, box: bool, offset: int, rounds: int, matched: int) -> None:
    query = f"limit={LIMIT}&offset={offset}" + ("&bbox=" + ",".join(str(v) for v in BOX) if box else "")
    url = f"/ogcapi/collections/{collection}/items?{query}"
    case = f"{who} {collection}{' bbox' if box else ''} @{offset:,}"

    def get():
        return client.get(url, HTTP_ACCEPT="application/geo+json")

    response = get()
    if response.status_code != 200:
        sys.exit(f"{url}: HTTP {response.status_code} {response.content[:300]!r}")
    served = json.loads(response.content)
    count_sql, page_sql, params = raw_statements(collection, user, box=box, offset=offset)
    raw_body = _one(page_sql, params)
    raw = json.loads(raw_body)
    if served["numberMatched"] != matched:
        sys.exit(f"{case}: numberMatched {served['numberMatched']:,}, the raw count {matched:,}")
    ours, theirs = [f["id"] for f in served["features"]], [f["id"] for f in raw["features"]]
    if ours != theirs:
        sys.exit(f"{case}: the endpoint's feature ids are not the raw statement's ({len(ours)} ≠ {len(theirs)})")
    for mine, other in zip(served["features"], raw["features"], strict=True):
        if mine["geometry"] != other["geometry"] or not _same_properties(mine["properties"], other["properties"]):
            sys.exit(f"{case}: feature {mine['id']} differs: {mine} ≠ {other}")

    def alone():
        _one(count_sql, params)
        _one(page_sql, params)

    endpoint = timed(get, rounds, warm=True)
    statements = timed(alone, rounds, warm=True)
    counting = timed(lambda: _one(count_sql, params), rounds, warm=True)
    print(
        f"  {case:<40} {endpoint * 1000:8.1f}ms {statements * 1000:8.1f}ms {endpoint / statements:6.2f}× "
        f"{counting * 1000:8.1f}ms {matched:>10,} {len(ours):>8,} {len(response.content):>9,} "
        f"{len(raw_body.encode()):>9,}"
    )


def run(rounds: int) -> None:
    serving_in_process()
    users = authority_and_partner("bench-ogcapi")
    print(
        f"OGC API – Features items on {Incident.objects.count():,} incidents, limit {LIMIT}, bbox {BOX}; "
        f"median of {rounds} runs. raw = count + page statement; bytes: the endpoint's body, the raw JSON text"
    )
    print(
        f"  {'case':<40} {'endpoint':>10} {'raw':>10} {'ratio':>7} {'count':>10} {'matched':>10} "
        f"{'features':>8} {'bytes':>9} {'raw bytes':>9}"
    )
    for who, user in users.items():
        client = Client()
        client.force_login(user)
        for collection in COLLECTIONS:
            for box in (False, True):
                count_sql, _, params = raw_statements(collection, user, box=box, offset=0)
                matched = _one(count_sql, params)
                for offset in (0, DEEP):
                    if offset and matched <= offset:
                        label = f"{who} {collection}{' bbox' if box else ''} @{offset:,}"
                        print(f"  {label:<40} (only {matched:,} match: no such page)")
                        continue
                    measure(client, user, who, collection, box, offset, rounds, matched)


def main() -> None:
    on_demo_data(run, description=__doc__.splitlines()[0], rounds=7)


if __name__ == "__main__":
    main()
