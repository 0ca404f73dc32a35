"""What a batch saves: 1000 incidents known only by their year, sent as one request to
`POST /api/v1/incidents/batch/`, against the same 1000 sent as 1000 `POST /api/v1/incidents/`.

Run with `make bench` (or `.venv/bin/python bench/batch_writes.py`). It makes a database of its own
(`bench_batch_writes`, from template1 like the test database), migrates it, loads the country and
drops it at the end: the national database is never touched. Throttle counters go to a cache in
memory, so that a running server's counters are not touched either.

Requests go through the whole Django stack in this process (middleware, token authentication,
throttling, parsing, the services, history triggers, one transaction per record, rendering) but no
network: on a real link each single POST also pays a round trip, which only widens the gap.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts import roles  # noqa: E402
from bench._support import member, on_own_database  # noqa: E402
from reference.models import Organisation  # noqa: E402

RECORDS = 1000
ROUNDS = 2
DATABASE = "bench_batch_writes"


def incident(number: int) -> dict:
    """An incident of an old register: the year only, somewhere around Mopti."""
    return {
        "external_id": f"BENCH-{number:05d}",
        "incident_class": "uxo_axo",
        "incident_date": "2019",
        "location": {"type": "Point", "coordinates": [-4.19 + (number % 100) * 0.001, 14.49 + (number // 100) * 0.001]},
        "device_category_reported": "uxo",
    }


def partner_client() -> APIClient:
    user = member("bench-partner", Organisation.objects.get(acronym="HI"), roles.PARTNER_DATA_MANAGER)
    # A host the settings serve (ALLOWED_HOSTS), rather than the test client's "testserver".
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def singles(client: APIClient, first: int) -> float:
    start = time.perf_counter()
    for number in range(first, first + RECORDS):
        response = client.post("/api/v1/incidents/", incident(number), format="json")
        assert response.status_code == 201, response.content
    return time.perf_counter() - start


def batch(client: APIClient, first: int, expected: int) -> float:
    records = [incident(number) for number in range(first, first + RECORDS)]
    start = time.perf_counter()
    response = client.post("/api/v1/incidents/batch/", {"records": records}, format="json")
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.content
    statuses = {line["status"] for line in response.json()["results"]}
    assert statuses == {expected}, statuses
    return elapsed


def run() -> None:
    call_command("load_reference_data", verbosity=0)
    client = partner_client()
    # The first request of each kind loads code and warms PostgreSQL's caches: not measured.
    assert client.post("/api/v1/incidents/", incident(90_000), format="json").status_code == 201
    assert client.post("/api/v1/incidents/batch/", {"records": [incident(90_001)]}, format="json").status_code == 200

    # Alternated rounds, each on new records; the best of each is the least disturbed by other
    # work on the machine.
    one_by_one, together, again = [], [], []
    for round_number in range(ROUNDS):
        first = round_number * 2 * RECORDS
        one_by_one.append(singles(client, first))
        together.append(batch(client, first + RECORDS, expected=201))
        again.append(batch(client, first + RECORDS, expected=200))

    def seconds(samples: list[float]) -> str:
        return " ".join(f"{sample:6.2f}" for sample in samples)

    best_single, best_batch = min(one_by_one), min(together)
    print(f"{RECORDS} year-only incidents, partner data manager, through the whole stack in-process (no network)")
    print(
        f"  {RECORDS} single POSTs   best {best_single:6.2f} s  {best_single / RECORDS * 1000:5.1f} ms/record"
        f"   rounds: {seconds(one_by_one)}"
    )
    print(
        f"  1 batch of {RECORDS}     best {best_batch:6.2f} s  {best_batch / RECORDS * 1000:5.1f} ms/record"
        f"   rounds: {seconds(together)}"
    )
    print(f"  ratio                {best_single / best_batch:6.2f} x  (best single POSTs / best batch)")
    print(f"  same batch again     best {min(again):6.2f} s  (every line 200: already stored)")


def main() -> None:
    on_own_database(DATABASE, run)


if __name__ == "__main__":
    main()
