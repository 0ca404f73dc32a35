"""An import whose worker is killed while it writes (SIGKILL of the whole worker) is written once,
whole, by the next worker: the write is one transaction, so the dead worker left nothing, and
its task, never acknowledged, is delivered again (`task_acks_late`, the broker's visibility timeout).
"""

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from field.models import RecordImport
from incidents.models import Casualty, Incident
from mineaction.celery import app as celery_app
from tests.workers import VISIBILITY_TIMEOUT, Deadline, kill, start_worker, unacked_tasks, worker_environment

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

# Over the 1 MB that field.services checks and writes in the request: a worker does both.
ROWS = 12_000
TIME_LIMIT = 240
HEADER = (
    "external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude,"
    "casualty_sex,casualty_age,casualty_outcome,casualty_civilian_status"
)


def _csv(rows: int) -> bytes:
    """Incidents over central Mali (the Mopti and Ségou régions), one victim each."""
    lines = [HEADER]
    for number in range(rows):
        lon, lat = -5.0 + (number % 400) * 0.006, 14.6 + (number // 400 % 250) * 0.005
        sex, outcome = ("male", "killed") if number % 3 else ("female", "injured")
        lines.append(
            f"K-{number:06d},2023-{1 + number % 12:02d}-{1 + number % 28:02d},improvised,improvised_av_mine,"
            f"stepped_on,{lon:.5f},{lat:.5f},{sex},{5 + number % 60},{outcome},civilian"
        )
    return ("\n".join(lines) + "\n").encode()


def _writing_transactions() -> int:
    """Other connections to the test database in a transaction that has written something."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        return cursor.fetchone()[0]


def _history_of_imported() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT pgh_obj_id) FROM incidents_incidentevent"
            " WHERE pgh_label = 'insert' AND external_id LIKE 'K-%%'"
        )
        return cursor.fetchone()


def test_an_import_whose_worker_is_killed_while_writing_is_written_once_by_the_next(
    django_user_model, broker, settings, tmp_path
):
    from accounts import roles
    from reference.models import Organisation
    from tests.people import member

    call_command("load_reference_data", verbosity=0)
    settings.IMPORT_ROOT = tmp_path / "imports"
    partner = Organisation.objects.get(acronym="HI")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member(django_user_model, "import.hi", partner, roles.PARTNER_DATA_MANAGER))
    logs = [tmp_path / "worker-killed.log", tmp_path / "worker-next.log"]
    deadline = Deadline(TIME_LIMIT, logs)
    environment = worker_environment(
        IMPORT_ROOT=str(settings.IMPORT_ROOT), TEST_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT)
    )
    workers = []
    try:
        workers.append(start_worker("killed", logs[0], environment))
        content = _csv(ROWS)
        assert len(content) > 1024 * 1024
        sent = client.post(
            "/api/v1/imports/",
            {"file": _upload(content), "record_type": "incidents"},
            format="multipart",
        )
        assert sent.status_code == 202, sent.content
        url = sent.json()["url"]

        def status(wanted: str):
            answer = client.get(url).json()
            assert answer["status"] != "failed", answer
            return answer if answer["status"] == wanted else None

        checked = deadline.wait_for("the dry run by the first worker", lambda: status("checked"), interval=0.2)
        assert (checked["to_create"], checked["rejected"]) == (ROWS, 0)
        assert client.post(f"{url}confirm/").status_code == 202

        # Caught writing: its task taken and unacknowledged, its transaction holding written rows.
        deadline.wait_for("the first worker writing", lambda: _writing_transactions() > 0, interval=0.05)
        (taken,) = unacked_tasks(broker)
        assert taken["task"] == "field.import_write"
        kill(workers[0])

        # Killed mid-write: nothing of the import is in the database, the import still `importing`.
        deadline.wait_for("the dead worker's transaction rolled back", lambda: _writing_transactions() == 0)
        record_import = RecordImport.objects.get(pk=checked["id"])
        assert record_import.status == RecordImport.Status.IMPORTING
        assert not Incident.all_objects.filter(external_id__startswith="K-").exists()
        assert f"field.import_write[{taken['id']}] received" in logs[0].read_text()
        assert f"field.import_write[{taken['id']}] succeeded" not in logs[0].read_text()

        workers.append(start_worker("next", logs[1], environment))
        done = deadline.wait_for("the import written by the next worker", lambda: status("imported"), interval=0.2)
        assert done["progress"] == 100
        deadline.wait_for("the redelivered task acknowledged", lambda: not broker.exists("unacked"))
        assert f"field.import_write[{taken['id']}] succeeded" in logs[1].read_text(), deadline.tails()

        # Every row once, with one history row each, and a second delivery changes nothing.
        incidents = Incident.all_objects.filter(external_id__startswith="K-", organisation=partner)
        assert incidents.count() == ROWS
        assert incidents.values("external_id").distinct().count() == ROWS
        assert Casualty.objects.filter(incident__in=incidents).count() == ROWS
        assert _history_of_imported() == (ROWS, ROWS)
        celery_app.send_task("field.import_write", args=[checked["id"]])
        deadline.wait_for("the task delivered a third time", lambda: logs[1].read_text().count("succeeded") >= 2)
        assert incidents.count() == ROWS
        assert _history_of_imported() == (ROWS, ROWS)
    finally:
        for worker in workers:
            kill(worker)


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("incidents.csv", content)
