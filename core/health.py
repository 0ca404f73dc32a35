"""Checks of the services the system needs: PostgreSQL/PostGIS, the Celery broker, a worker, and
the outbox of tasks waiting for the broker (core.outbox)."""

from typing import Any

from django.db import connection
from django.utils import timezone

from mineaction.celery import app as celery_app

# A pending task older than this means no relay runs (beat sends the outbox every minute).
OUTBOX_STALE_SECONDS = 5 * 60


def database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            (postgis_version,) = cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()}
    return {"ok": True, "postgis": postgis_version}


def _broker_connection(**timeouts):
    # The broker tasks are really sent to (Celery lets CELERY_BROKER_URL in the environment win),
    # through a connection that gives up quickly: /healthz/ answers when Redis is down or hangs.
    from core.outbox import broker_connection

    return broker_connection(**timeouts)


def broker_status(*, timeout: float = 2.0) -> dict[str, Any]:
    try:
        with _broker_connection() as conn:
            # One attempt: a retry would sleep 2 s first.
            conn.ensure_connection(max_retries=0, timeout=timeout)
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()}
    return {"ok": True}


def worker_status(*, timeout: float = 1.0) -> dict[str, Any]:
    try:
        with _broker_connection(socket_timeout=timeout + 2) as conn:
            replies = celery_app.control.ping(timeout=timeout, connection=conn)
    except Exception as exc:
        return {"ok": False, "workers": [], "error": f"{type(exc).__name__}: {exc}".strip()}
    workers = sorted(name for reply in replies for name in reply)
    return {"ok": bool(workers), "workers": workers}


def outbox_status() -> dict[str, Any]:
    """Tasks kept in PostgreSQL for the broker: how many, and the age in seconds of the oldest."""
    from core.outbox import pending

    try:
        count, oldest = pending()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()}
    age = round((timezone.now() - oldest).total_seconds(), 1) if oldest else None
    return {"ok": age is None or age < OUTBOX_STALE_SECONDS, "pending": count, "oldest_pending_seconds": age}


def system_status() -> dict[str, Any]:
    database = database_status()
    broker = broker_status()
    # A ping without a broker would only wait for its timeout.
    worker = worker_status() if broker["ok"] else {"ok": False, "workers": [], "error": "broker unreachable"}
    # Without PostgreSQL there is no outbox to read.
    outbox = outbox_status() if database["ok"] else {"ok": False, "error": "database unreachable"}
    checks = {"database": database, "broker": broker, "worker": worker, "outbox": outbox}
    return {
        "ok": all(check["ok"] for check in checks.values()),
        "down": [name for name, check in checks.items() if not check["ok"]],
        **checks,
    }
