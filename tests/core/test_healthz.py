import datetime
import os
import signal
import time

import pytest
from django.db import connection
from django.utils import timezone

from core.models import OutboxMessage
from core.tasks import database_status_task
from tests.faults.redis_fixtures import private_redis  # noqa: F401

pytestmark = pytest.mark.django_db


def _postgis_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version()")
        return cursor.fetchone()[0]


@pytest.mark.celery_worker
def test_healthz_is_200_when_database_broker_and_worker_answer(client, celery_worker):
    response = client.get("/healthz/")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"] == {"ok": True, "postgis": _postgis_version()}
    assert body["broker"] == {"ok": True}
    assert body["worker"]["ok"] is True
    assert celery_worker.hostname in body["worker"]["workers"]
    assert body["outbox"] == {"ok": True, "pending": 0, "oldest_pending_seconds": None}
    assert body["down"] == []


def test_healthz_is_503_without_a_worker(client):
    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True}
    assert body["worker"] == {"ok": False, "workers": []}
    assert body["down"] == ["worker"]


def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    # Celery reads the broker from the environment first. Port 1 on loopback: nothing listens.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")

    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False
    assert "Error" in body["broker"]["error"]
    assert body["worker"] == {"ok": False, "workers": [], "error": "broker unreachable"}
    assert body["down"] == ["broker", "worker"]


def test_healthz_answers_within_seconds_when_the_broker_hangs(client, private_redis, monkeypatch):  # noqa: F811
    # A stopped Redis accepts connections (the kernel does) and never answers.
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url(0))
    os.kill(private_redis.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = client.get("/healthz/")
        seconds = time.monotonic() - started
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker", "worker"]
    assert "Timeout" in body["broker"]["error"], body["broker"]
    assert seconds < 3, seconds


def test_healthz_counts_the_outbox_and_is_503_when_its_oldest_task_waits_too_long(client):
    now = timezone.now()
    OutboxMessage.objects.create(task="core.database_status", created_at=now - datetime.timedelta(seconds=30))
    OutboxMessage.objects.create(task="core.database_status", created_at=now - datetime.timedelta(seconds=5))
    # Sent: not counted.
    OutboxMessage.objects.create(task="core.database_status", created_at=now - datetime.timedelta(hours=1), sent_at=now)

    outbox = client.get("/healthz/").json()["outbox"]
    assert (outbox["ok"], outbox["pending"]) == (True, 2)
    assert 30 <= outbox["oldest_pending_seconds"] < 40

    # Past five minutes no relay sends it (beat stopped): an operator must hear of it.
    OutboxMessage.objects.create(task="core.database_status", created_at=now - datetime.timedelta(minutes=6))
    response = client.get("/healthz/")
    assert response.status_code == 503
    body = response.json()
    assert "outbox" in body["down"]
    assert (body["outbox"]["ok"], body["outbox"]["pending"]) == (False, 3)
    assert body["outbox"]["oldest_pending_seconds"] >= 360


def test_healthz_rejects_other_methods(client):
    assert client.post("/healthz/").status_code == 405


@pytest.mark.celery_worker
def test_a_task_runs_on_a_real_worker_and_reaches_postgis(celery_worker):
    result = database_status_task.delay()

    assert result.get(timeout=20) == {"ok": True, "postgis": _postgis_version()}
