import pytest
from django.db import connection

from core.tasks import database_status_task

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


def test_healthz_is_503_without_a_worker(client):
    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True}
    assert body["worker"] == {"ok": False, "workers": []}


def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    # Celery reads the broker from the environment first. Port 1 on loopback: nothing listens.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")

    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False
    assert "Error" in body["broker"]["error"]
    assert body["worker"] == {"ok": False, "workers": [], "error": "broker unreachable"}


def test_healthz_rejects_other_methods(client):
    assert client.post("/healthz/").status_code == 405


@pytest.mark.celery_worker
def test_a_task_runs_on_a_real_worker_and_reaches_postgis(celery_worker):
    result = database_status_task.delay()

    assert result.get(timeout=20) == {"ok": True, "postgis": _postgis_version()}
