"""The outbox (core.outbox) on the real PostgreSQL and a Redis of the test's own: a task is written with
the caller's transaction, sent after its commit, kept when Redis is down or hung without making the
writer wait, and sent once by relays running side by side; a task delivered twice has its effect once."""

import importlib
import json
import os
import signal
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from core import outbox
from core.db import side_connection
from core.models import OutboxMessage
from mineaction.celery import app as celery_app
from tests.faults.redis_fixtures import private_redis  # noqa: F401
from tests.workers import start_worker, stop, worker_environment

QUEUE = celery_app.conf.task_default_queue


@pytest.fixture
def broker(private_redis, monkeypatch):  # noqa: F811
    """Celery's broker is the private Redis (Celery reads CELERY_BROKER_URL from the environment first)."""
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url(0))
    return private_redis


def _queued(server) -> list[dict]:
    """The messages waiting in the broker's queue, in the order they were sent (LPUSH, BRPOP)."""
    client = server.client()
    try:
        raw = client.lrange(QUEUE, 0, -1)
    finally:
        client.close()
    return [
        {"task": body["headers"]["task"], "args": json.loads(_body(body))[0], "id": body["headers"]["id"]}
        for body in map(json.loads, reversed(raw))
    ]


def _body(message: dict) -> str:
    import base64

    return base64.b64decode(message["body"]).decode()


@pytest.mark.django_db
def test_a_task_queued_in_a_rolled_back_transaction_is_never_written():
    def write_then_fail():
        with transaction.atomic():
            outbox.enqueue("core.database_status", args=[1])
            assert OutboxMessage.objects.count() == 1
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_task_is_sent_once_its_transaction_commits_and_marked_sent(broker):
    with transaction.atomic():
        message = outbox.enqueue("core.database_status", args=[7], kwargs={})
        # Not before the commit: a worker would not find the records the task names.
        assert _queued(broker) == []
    message.refresh_from_db()
    assert message.sent_at is not None
    assert (message.attempts, message.last_error) == (0, "")
    assert [(sent["task"], sent["args"]) for sent in _queued(broker)] == [("core.database_status", [7])]


@pytest.mark.django_db(transaction=True)
def test_with_redis_killed_or_hung_the_writer_does_not_wait_and_the_relay_sends_oldest_first(broker):
    broker.kill()
    started = time.monotonic()
    refused = outbox.enqueue("core.database_status", args=[1])
    refused_seconds = time.monotonic() - started
    refused.refresh_from_db()
    assert refused.sent_at is None
    assert refused.attempts == 1
    assert "Connection refused" in refused.last_error
    assert refused_seconds < 1, refused_seconds

    # A hung Redis (stopped, not dead) accepts the connection and never answers.
    broker.start()
    os.kill(broker.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        hung = outbox.enqueue("core.database_status", args=[2])
        hung_seconds = time.monotonic() - started
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
    hung.refresh_from_db()
    assert hung.sent_at is None
    assert "Timeout" in hung.last_error, hung.last_error
    # One attempt, bounded by the connection's timeouts.
    assert hung_seconds < 2 * outbox.BROKER_TIMEOUT + 0.5, hung_seconds
    print(f"\nenqueue with Redis killed: {refused_seconds * 1000:.0f} ms, hung: {hung_seconds * 1000:.0f} ms")

    third = outbox.enqueue("core.database_status", args=[3])
    third.refresh_from_db()
    assert third.sent_at is not None
    assert outbox.relay() == 2
    # The relay sent the older two after the third, which went at once; they are in the order written.
    assert [sent["args"] for sent in _queued(broker)] == [[3], [1], [2]]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert outbox.relay() == 0


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_send_each_row_once(broker):
    count = 400
    OutboxMessage.objects.bulk_create(OutboxMessage(task="core.database_status", args=[n]) for n in range(count))
    sent: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def run(name: str) -> None:
        try:
            barrier.wait()
            sent[name] = outbox.relay(batch=10)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sent["a"] + sent["b"] == count
    queued = _queued(broker)
    assert len(queued) == count
    assert sorted(message["args"][0] for message in queued) == list(range(count))
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_relay_skips_the_rows_another_relay_holds_without_waiting(broker):
    OutboxMessage.objects.bulk_create(OutboxMessage(task="core.database_status", args=[n]) for n in range(10))
    oldest = list(OutboxMessage.objects.order_by("created_at", "id").values_list("pk", flat=True)[:4])
    with side_connection() as other, other.cursor() as cursor:
        # Another relay in the middle of its batch: the four oldest rows locked in its transaction.
        cursor.execute("BEGIN")
        cursor.execute("SELECT id FROM core_outboxmessage WHERE id = ANY(%s) FOR UPDATE", [oldest])
        started = time.monotonic()
        assert outbox.relay() == 6
        assert time.monotonic() - started < 2
        cursor.execute("ROLLBACK")
    assert set(OutboxMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)) == set(oldest)
    assert outbox.relay() == 4
    assert sorted(message["args"][0] for message in _queued(broker)) == list(range(10))


@pytest.mark.django_db(transaction=True)
def test_relay_outbox_fails_while_the_broker_is_down_and_sends_once_it_is_back(broker, capsys):
    broker.kill()
    outbox.enqueue("core.database_status", args=[1])
    outbox.enqueue("core.database_status", args=[2])
    time.sleep(0.01)
    with pytest.raises(CommandError, match="broker is unreachable"):
        call_command("relay_outbox")
    assert capsys.readouterr().out.startswith("0 sent, 2 pending (oldest ")

    broker.start()
    call_command("relay_outbox")
    assert capsys.readouterr().out == "2 sent, 0 pending\n"
    assert [sent["args"] for sent in _queued(broker)] == [[1], [2]]


@pytest.mark.django_db(transaction=True)
def test_beat_runs_the_relay_every_minute():
    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    # Transactional tests empty the tables the migration filled: run its step again (idempotent).
    migration = importlib.import_module("core.migrations.0003_outbox")
    migration.schedule(apps, None)
    migration.schedule(apps, None)
    task = PeriodicTask.objects.get(name=migration.TASK_NAME)
    assert (task.task, task.interval.every, task.interval.period, task.enabled) == (
        "core.outbox_relay", 1, "minutes", True,
    )  # fmt: skip
    from core.tasks import outbox_relay

    assert outbox_relay.name == "core.outbox_relay"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_sends_the_pending_rows_and_runs_them(broker, tmp_path):
    broker.kill()
    message = outbox.enqueue("core.database_status")
    assert OutboxMessage.objects.get(pk=message.pk).sent_at is None
    broker.start()

    log = tmp_path / "worker.log"
    worker = start_worker("outbox", log, worker_environment(TEST_CELERY_BROKER_URL=broker.url(0)))
    try:
        deadline = time.monotonic() + 90
        while "core.database_status[" not in log.read_text() or " succeeded in " not in log.read_text():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        stop(worker)
    assert OutboxMessage.objects.get(pk=message.pk).sent_at is not None
    assert log.read_text().count("core.database_status[") == 2  # received, succeeded


@pytest.mark.django_db
def test_an_export_delivered_twice_at_once_is_written_by_one_delivery(officer, settings, tmp_path):
    from reports.models import Export
    from reports.services import export_request
    from reports.tasks import export_run

    settings.EXPORT_ROOT = tmp_path
    export = export_request(user=officer, resource="incidents", format="csv")
    with side_connection() as other, other.cursor() as cursor:
        # Another worker running the same export: this delivery leaves it alone.
        lock = f"reports.export_run:{export.pk}"
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [lock])
        export_run(export.pk)
        assert Export.objects.get(pk=export.pk).status == Export.Status.QUEUED
        assert list(tmp_path.iterdir()) == []
        cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [lock])
    # The other worker gone (finished, or dead and its lock with its connection): the delivery writes the file.
    export_run(export.pk)
    done = Export.objects.get(pk=export.pk)
    assert done.status == Export.Status.DONE
    assert (tmp_path / done.file_path).is_file()
    # Delivered again once done: the finished export is left as it is.
    finished_at = done.finished_at
    export_run(export.pk)
    assert Export.objects.get(pk=export.pk).finished_at == finished_at


@pytest.mark.django_db
def test_an_import_check_delivered_again_after_its_confirmation_changes_nothing(partner_user, settings, tmp_path):
    from field.import_tasks import import_check_run
    from field.models import RecordImport
    from field.services import import_confirm, import_start
    from tests.geo import MOPTI

    settings.IMPORT_ROOT = tmp_path
    content = (
        "external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude\n"
        f"D-1,2024-02-03,improvised,improvised_av_mine,stepped_on,{MOPTI[0]},{MOPTI[1]}\n"
    ).encode()
    started = import_start(
        user=partner_user, organisation=None, record_type="incidents", name="d.csv", chunks=[content], inline=True
    )
    assert (started.status, started.to_create) == (RecordImport.Status.CHECKED, 1)
    imported = import_confirm(record_import=started, user=partner_user, inline=True)
    assert imported.status == RecordImport.Status.IMPORTED

    import_check_run(imported.pk)

    again = RecordImport.objects.get(pk=imported.pk)
    assert (again.status, again.imported_at) == (RecordImport.Status.IMPORTED, imported.imported_at)
