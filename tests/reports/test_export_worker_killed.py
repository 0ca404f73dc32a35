"""An export whose worker is killed in the middle of its file (SIGKILL of the whole worker) is
delivered again to the next worker and published once, whole.

Two real Celery workers run as processes on the test database and the Redis broker. With the solo
pool the task runs in the worker's own process: killed, nothing is left to reject the message
(`task_reject_on_worker_lost` serves a prefork pool whose child dies). It stays in Redis,
unacknowledged (`task_acks_late`), until its visibility timeout has passed and a live worker puts it
back in the queue; `reports.services.export_write` then starts the file over.
"""

import csv
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from rest_framework.test import APIClient

from core.models import RecordStatus
from incidents.models import Casualty, Incident, Sex
from mineaction.celery import app as celery_app
from reports.models import Export
from tests.api.helpers import approve, incident_payload
from tests.workers import VISIBILITY_TIMEOUT, Deadline, kill, start_worker, unacked_tasks, worker_environment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

# Enough rows that writing the file takes seconds: the worker is caught in the middle of it.
CASUALTIES = 750_000
# The whole test, workers' start-up included, fails past this.
TIME_LIMIT = 120
COLUMNS = ["id", "status", "organisation", "incident", "outcome", "sex", "age_group", "civilian_status"]


def _client(user) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def export_root(transactional_db, settings, tmp_path) -> Path:
    """Transactional tests may start from an emptied database: the country, loaded again first.
    The export folder is shared with the workers' processes."""
    call_command("load_reference_data", verbosity=0)
    root = tmp_path / "exports"
    root.mkdir()
    settings.EXPORT_ROOT = root
    return root


@pytest.fixture
def people(export_root, django_user_model):
    from accounts import roles
    from reference.models import Organisation
    from tests.people import member

    alice = member(django_user_model, "alice", Organisation.objects.get(acronym="HI"), roles.PARTNER_DATA_MANAGER)
    charlie = member(django_user_model, "charlie", Organisation.objects.get(acronym="DRC"), roles.PARTNER_DATA_MANAGER)
    return {"alice": _client(alice), "charlie": _client(charlie)}


def _add_casualties(incident_ids: list[int], count: int) -> None:
    # One statement for the lot: the API would take minutes for as many.
    table = connection.ops.quote_name(Casualty._meta.db_table)
    # As the demo data's bulk load (demo.services): history triggers, a subtransaction a row, take
    # minutes over so many rows. The change is transactional: a failed insert leaves them on.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(
            f"INSERT INTO {table} (created_at, updated_at, incident_id, version, outcome, sex, age_group,"  # noqa: S608
            " civilian_status, injuries, injury_description)"
            " SELECT now(), now(), (%(incidents)s::bigint[])[1 + n %% %(spread)s], 1,"
            " CASE WHEN n %% 3 = 0 THEN %(killed)s ELSE %(injured)s END, %(sex)s, %(age_group)s, %(civilian)s,"
            " '{}', '' FROM generate_series(1, %(count)s) AS n",
            {
                "incidents": incident_ids,
                "spread": len(incident_ids),
                "killed": Casualty.Outcome.KILLED,
                "injured": Casualty.Outcome.INJURED,
                "sex": Sex.UNKNOWN,
                "age_group": Casualty.AgeGroup.UNKNOWN,
                "civilian": Casualty.CivilianStatus.CIVILIAN,
                "count": count,
            },
        )
        # The deferred foreign key checks, now: a table with pending ones cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.fixture
def casualties(people) -> list[int]:
    """Charlie's approved incidents with CASUALTIES casualties, which alice (another NGO) sees, and
    his draft one with a few she must not see. Returns the ids alice sees, in id order."""
    charlie = people["charlie"]

    def report(**fields) -> int:
        response = charlie.post("/api/v1/incidents/", incident_payload(**fields), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    approved = [report(external_id=f"C-OK-{n}") for n in range(4)]
    for pk in approved:
        approve(Incident, pk)
    draft = report(external_id="C-DRAFT")
    _add_casualties(approved, CASUALTIES)
    _add_casualties([draft], 7)
    expected = list(Casualty.objects.filter(incident__in=approved).order_by("id").values_list("id", flat=True))
    assert len(expected) == CASUALTIES
    assert Incident.objects.get(pk=draft).status != RecordStatus.APPROVED
    return expected


def test_an_export_whose_worker_is_killed_is_written_again_by_the_next_worker_and_published_once(
    people, casualties, export_root, broker, tmp_path
):
    alice = people["alice"]
    logs = [tmp_path / "worker-killed.log", tmp_path / "worker-next.log"]
    deadline = Deadline(TIME_LIMIT, logs)
    environment = worker_environment(
        EXPORT_ROOT=str(export_root), TEST_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT)
    )
    queue = celery_app.conf.task_default_queue
    workers: list[subprocess.Popen] = []
    try:
        workers.append(start_worker("killed", logs[0], environment))
        accepted = alice.post("/api/v1/exports/", {"resource": "casualties", "format": "csv"}, format="json")
        assert accepted.status_code == 202, accepted.content
        export_id, url = accepted.json()["id"], accepted.json()["url"]
        final = f"casualties-{export_id}.csv"

        def writing():
            body = alice.get(url).json()
            assert body["status"] in ("queued", "running"), body
            return body if body["status"] == "running" and body["progress"] > 0 else None

        caught = deadline.wait_for("the first worker writing the file", writing, interval=0.05)
        assert 0 < caught["rows"] < CASUALTIES
        kill(workers[0])

        # Killed mid-file: nothing published, only the temporary file it was writing.
        killed = Export.objects.get(pk=export_id)
        assert (killed.status, killed.file_path, killed.finished_at) == (Export.Status.RUNNING, "", None)
        assert 0 < killed.progress < 100
        (partial,) = export_root.iterdir()
        assert re.fullmatch(rf"\.{re.escape(final)}\.[0-9a-f]{{32}}\.partial", partial.name), partial.name
        assert partial.stat().st_size > 0
        assert alice.get(f"/api/v1/exports/{export_id}/download/").status_code == 404
        # Nothing put the message back in the queue: Redis holds it as taken and not acknowledged.
        assert broker.llen(queue) == 0
        (taken,) = unacked_tasks(broker)
        assert (taken["task"], taken["argsrepr"]) == ("reports.export_run", f"({export_id},)")
        task_id = taken["id"]
        assert f"reports.export_run[{task_id}] received" in logs[0].read_text()

        # The next worker gets the same message once its visibility timeout has passed.
        workers.append(start_worker("next", logs[1], environment))

        def finished():
            body = alice.get(url).json()
            return body if body["status"] in ("done", "failed") else None

        body = deadline.wait_for("the export written again by the next worker", finished, interval=0.2)
        assert (body["status"], body["progress"], body["rows"], body["error"]) == ("done", 100, CASUALTIES, "")
        # Its own task, delivered again, and acknowledged once done.
        deadline.wait_for("the redelivered task acknowledged", lambda: not broker.exists("unacked"))
        assert f"reports.export_run[{task_id}] succeeded" in logs[1].read_text(), deadline.tails()
        assert broker.llen(queue) == 0
        assert Export.objects.count() == 1

        # One file, whole: the dead worker's temporary file is gone, and every row once.
        assert [path.name for path in export_root.iterdir()] == [final]
        download = alice.get(body["download"])
        assert download.status_code == 200
        content = b"".join(download.streaming_content)
        assert content == (export_root / final).read_bytes()
        rows = csv.reader(io.StringIO(content.decode("utf-8")))
        assert next(rows) == COLUMNS
        ids, statuses, organisations = [], set(), set()
        for row in rows:
            ids.append(int(row[0]))
            statuses.add(row[1])
            organisations.add(row[2])
        assert ids == casualties
        assert (statuses, organisations) == ({RecordStatus.APPROVED}, {"DRC"})
    finally:
        for worker in workers:
            kill(worker)
