"""What the map's vector tiles cost: `GET /tiles/<layer>/<z>/<x>/<y>.pbf` served in process (session,
user, scoping, one `ST_AsMVT` statement, gzip) against that statement run alone through a bare
cursor, for each layer at zooms 6, 9 and 12 over central Mali (the tile holding Mopti, lon -4.2,
lat 14.5), for an authority officer and a partner; then the answer to `If-None-Match` (304, the
tile's version read without drawing it) against the same statement.

Run on a database holding demo data; the figures that matter come from the `large` scale
(100,000 hazardous areas, 1,000,000 incidents):
    DATABASE_URL=postgis://mineaction:mineaction@127.0.0.1:5432/mineaction_large \\
        .venv/bin/python bench/tiles.py
`--rounds N` sets the runs per median at zoom 12 (default 15; half of it at zoom 9, a third at zoom
6, at least 3).
Each tile is decoded and checked against its record count before it is timed. The users it makes
are rolled back: the database is left as it was.
"""

import gzip
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

import mapbox_vector_tile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench._support import authority_and_partner, on_demo_data, record, sampled, serving_in_process, timed  # noqa: E402
from gis import tiles  # noqa: E402
from incidents.models import Incident  # noqa: E402

MOPTI = (-4.2, 14.5)
ZOOMS = (6, 9, 12)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def main() -> None:
    on_demo_data(run, description=__doc__.splitlines()[0], rounds=15)


def run(rounds: int) -> None:
    serving_in_process()
    users = authority_and_partner("bench-tiles")
    print(
        f"vector tiles on {Incident.objects.count():,} incidents, tiles holding lon {MOPTI[0]}, lat {MOPTI[1]}; "
        f"cells below zoom {tiles.INCIDENT_CELLS_BELOW} (incidents) and {tiles.HAZARD_CELLS_BELOW} (hazardous "
        f"areas) in tiles holding more than {tiles.RECORDS_UP_TO['incidents']:,} incidents or "
        f"{tiles.RECORDS_UP_TO['hazard-areas']:,} areas;\n  median of {rounds} runs at zoom 12, "
        f"{max(3, rounds // 2)} at zoom 9, {max(3, rounds // 3)} at zoom 6"
    )
    print(
        f"  {'who':<18} {'layer':<13} {'tile':<14} {'endpoint':>9} {'ST_AsMVT':>9} {'ratio':>6} {'304':>8} "
        f"{'version':>8} {'records':>8} {'features':>8} {'bytes':>10} {'gzip':>9}"
    )
    for who, user in users.items():
        client = Client(HTTP_ACCEPT_ENCODING="gzip")
        client.force_login(user)
        for layer in tiles.LAYERS:
            for z in ZOOMS:
                n = rounds if z == 12 else max(3, rounds // 2) if z == 9 else max(3, rounds // 3)
                measure(client, user, who, layer, z, n)


def _statement(client, url: str, marker: str, **headers) -> str:
    """The one statement of the tile's (or its version's) own that the endpoint sent."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    sent = [q["sql"] for q in queries.captured_queries if marker in q["sql"]]
    if len(sent) != 1:
        sys.exit(f"{url}: {len(sent)} statements with {marker!r}, not one")
    # Without the history context the middleware (pghistory) sets before each statement of a request.
    return sent[0].split("; ", 1)[1] if sent[0].startswith("SELECT set_config('pghistory.") else sent[0]


def measure(client, user, who: str, layer: str, z: int, rounds: int) -> None:
    x, y = tile_of(*MOPTI, z)
    url = f"/tiles/{layer}/{z}/{x}/{y}.pbf"

    def get(**headers):
        return client.get(url, **headers)

    response = get()
    if response.status_code != 200:
        sys.exit(f"{url}: HTTP {response.status_code} {response.content[:300]!r}")
    body = gzip.decompress(response.content) if response.get("Content-Encoding") == "gzip" else response.content
    features = mapbox_vector_tile.decode(body).get(layer, {}).get("features", []) if body else []
    tile = tiles.tile_render(layer, user, z, x, y)
    grouped = tile.grouped
    counted = sum(f["properties"]["count"] for f in features) if grouped else len(features)
    if counted != tile.records and not (layer == "hazard-areas" and not grouped and counted <= tile.records):
        sys.exit(f"{url}: the tile holds {counted} records, its statement counted {tile.records}")
    etag = response["ETag"]
    draw = _statement(client, url, "ST_AsMVT")
    version = _statement(client, url, "sum(r.id)", HTTP_IF_NONE_MATCH=etag)

    def raw(sql: str):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql)
                cursor.fetchall()

        return run

    def unchanged():
        answer = get(HTTP_IF_NONE_MATCH=etag)
        assert answer.status_code == 304, answer.status_code

    endpoint_runs = sampled(get, rounds, warm=True)
    alone_runs = sampled(raw(draw), rounds, warm=True)
    kind = " cells" if grouped else ""
    case = f"{who}: {layer} z{z}{kind}, {tile.records:,} records"
    endpoint, alone = record("tiles", case, endpoint_runs, alone_runs, target=1.5)
    not_modified = timed(unchanged, rounds, warm=True)
    version_alone = timed(raw(version), rounds, warm=True)
    print(
        f"  {who:<18} {layer:<13} {f'{z}/{x}/{y}':<14} {endpoint * 1000:7.1f}ms {alone * 1000:7.1f}ms "
        f"{endpoint / alone:5.2f}× {not_modified * 1000:6.1f}ms {version_alone * 1000:6.1f}ms {tile.records:>8,} "
        f"{len(features):>8,} {len(body):>10,} {len(response.content):>9,}{kind}"
    )


if __name__ == "__main__":
    main()
