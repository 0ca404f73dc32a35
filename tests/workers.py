"""Real Celery workers as processes on the test database and the tests' Redis broker: started,
killed outright (SIGKILL of the whole process group), and one deadline for every wait."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from mineaction.celery import app as celery_app

# Seconds the broker keeps a taken, unacknowledged message from other workers (mineaction/settings/test.py).
VISIBILITY_TIMEOUT = 3
# Kombu's Redis transport keeps taken messages here until they are acknowledged.
UNACKED_KEYS = ("unacked", "unacked_index", "unacked_mutex")


class Deadline:
    """One time limit for every wait of a test, with the workers' logs in its failure message."""

    def __init__(self, seconds: float, logs: list[Path]):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.logs = logs

    def wait_for(self, what: str, check, interval: float = 0.1):
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > self.end:
                raise AssertionError(f"{what}: not within {self.seconds} s\n{self.tails()}")
            time.sleep(interval)

    def tails(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.logs if log.exists())


@pytest.fixture
def broker():
    """The tests' Redis broker, without messages left by an earlier run, before and after."""
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    queue = celery_app.conf.task_default_queue
    client.delete(queue, *UNACKED_KEYS)
    yield client
    client.delete(queue, *UNACKED_KEYS)
    client.close()


def database_url() -> str:
    """The test database as a `DATABASE_URL`, for a process of its own (a worker, gunicorn)."""
    database = connection.settings_dict
    return (
        f"postgis://{quote(database['USER'], safe='')}:{quote(database['PASSWORD'] or '', safe='')}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{quote(database['NAME'], safe='')}"
    )


def worker_environment(**extra: str) -> dict[str, str]:
    """The test process's own environment (broker and cache of the tests), on the test database;
    `extra` overrides it (`TEST_CELERY_BROKER_URL` for a private broker,
    `TEST_BROKER_VISIBILITY_TIMEOUT` to redeliver a dead worker's task within seconds)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mineaction.settings.test",
        "DATABASE_URL": database_url(),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_worker(name: str, log: Path, environment: dict[str, str]) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "mineaction", "worker",
        "--pool=solo", "--concurrency=1", "-Q", celery_app.conf.task_default_queue, "-n", f"{name}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
    ]  # fmt: skip
    with open(log, "wb") as out:
        # A session of its own: the worker and anything it started are one process group.
        return subprocess.Popen(  # noqa: S603
            command, cwd=django_settings.BASE_DIR, env=environment, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def kill(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def stop(worker: subprocess.Popen) -> None:
    """Stopped as an operator would (SIGTERM: the task in hand is finished), killed if it hangs."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def unacked_tasks(client: redis.Redis) -> list[dict]:
    """Headers of the messages workers took and did not acknowledge."""
    return [json.loads(raw)[0]["headers"] for raw in client.hvals("unacked")]
