"""What the map's layers cost: each layer endpoint for a national box at low zoom and a small box
at high zoom, through the whole Django stack, against the same SQL run alone.

Run with `make bench` (or `.venv/bin/python bench/map_layers.py`) on a database holding demo data;
the figures that matter come from the `large` scale (100,000 hazardous areas, 1,000,000 incidents):
`DATABASE_URL=postgis://mineaction:mineaction@127.0.0.1:5432/mineaction_large`. The users it makes
are rolled back: the database is left as it was.

"Raw SQL" re-runs, through a bare cursor (JIT off, as the endpoint sets it), the layer's own
statements as the endpoint sent them (captured once), fetching every row: the ratio is what the
Django stack (session, user, permissions), the scoping and the JSON cost on top.
"""

import gzip
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench._support import authority_and_partner, rolled_back, timed  # noqa: E402
from core.models import RecordStatus  # noqa: E402
from incidents.models import Incident  # noqa: E402
from reference.selectors import country_extent  # noqa: E402

# Each layer's own tables: the statements re-run as raw SQL (sessions and users left out).
TABLES = {
    "hazards": "hazards_hazardarea",
    "incidents": "incidents_incident",
    "activities": "hazards_landreleaseactivity",
    "community-reports": "community_communityreport",
    "boundaries": "reference_administrativearea",
}
NATIONAL_ZOOM = 6
CERCLE_ZOOM = 10
STREET_ZOOM = 14


def main() -> None:
    if not Incident.objects.exists():
        sys.exit("No incidents: run `manage.py generate_demo_data --scale large` first.")
    rolled_back(run)


def run() -> None:

    extent = country_extent()
    national = f"{extent.west},{extent.south},{extent.east},{extent.north}"
    # A box of about 5 km around a place with records: the first approved incident's.
    where = Incident.objects.filter(status=RecordStatus.APPROVED).order_by("pk").values_list("location", flat=True)[0]
    small = f"{where.x - 0.025:.5f},{where.y - 0.025:.5f},{where.x + 0.025:.5f},{where.y + 0.025:.5f}"
    cercle = f"{where.x - 0.35:.5f},{where.y - 0.35:.5f},{where.x + 0.35:.5f},{where.y + 0.35:.5f}"
    users = authority_and_partner("bench-map")
    print(
        f"map layers on {Incident.objects.count():,} incidents; national box zoom {NATIONAL_ZOOM}, 80 km box zoom "
        f"{CERCLE_ZOOM}, 5 km box zoom {STREET_ZOOM}; median of 7 runs (21 for 5 km)"
    )
    print(f"  {'who':<14} {'layer':<18} {'box':<9} {'endpoint':>10} {'raw SQL':>9} {'ratio':>6} "
          f"{'records':>9} {'features':>8} {'bytes':>10} {'gzip':>9}  flags")  # fmt: skip
    # A forced login is no login attempt: the lockout records (django-axes) are left out of it, so
    # that the bench also runs on a database built before they were added.
    from axes.signals import handle_user_logged_in
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.disconnect(handle_user_logged_in)
    for who, user in users.items():
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for layer in TABLES:
            for label, bbox, zoom, rounds in (
                ("national", national, NATIONAL_ZOOM, 7),
                ("80 km", cercle, CERCLE_ZOOM, 7),
                ("5 km", small, STREET_ZOOM, 21),
            ):
                measure(client, who, layer, label, bbox, zoom, rounds)


def measure(client, who: str, layer: str, label: str, bbox: str, zoom: int, rounds: int) -> None:
    url = f"/map/layers/{layer}/?bbox={bbox}&zoom={zoom}"

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return response

    response = get()
    body = response.content
    answer = __import__("json").loads(body)
    with CaptureQueriesContext(connection) as queries:
        get()
    statements = [q["sql"] for q in queries.captured_queries if TABLES[layer] in q["sql"]]

    def raw():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    endpoint = timed(get, rounds, warm=True)
    alone = timed(raw, rounds, warm=True)
    flags = " ".join(name for name in ("grouped", "truncated") if answer[name])
    print(
        f"  {who:<14} {layer:<18} {label:<9} {endpoint * 1e3:8.1f}ms {alone * 1e3:7.1f}ms {endpoint / alone:6.2f} "
        f"{answer['records']:>9,} {len(answer['features']):>8,} {len(body):>10,} {len(gzip.compress(body)):>9,}"
        f"  {flags}"
    )


if __name__ == "__main__":
    main()
