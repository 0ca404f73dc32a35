"""Checks of the services the system needs: PostgreSQL/PostGIS, the Celery broker, a worker."""

from typing import Any

from django.db import connection

from mineaction.celery import app as celery_app


def database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            (postgis_version,) = cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()}
    return {"ok": True, "postgis": postgis_version}


def broker_status(*, timeout: float = 2.0) -> dict[str, Any]:
    # The broker tasks are really sent to (Celery lets CELERY_BROKER_URL in the environment win).
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()}
    return {"ok": True}


def worker_status(*, timeout: float = 1.0) -> dict[str, Any]:
    try:
        with celery_app.connection_for_write() as conn:
            replies = celery_app.control.ping(timeout=timeout, connection=conn)
    except Exception as exc:
        return {"ok": False, "workers": [], "error": f"{type(exc).__name__}: {exc}".strip()}
    workers = sorted(name for reply in replies for name in reply)
    return {"ok": bool(workers), "workers": workers}


def system_status() -> dict[str, Any]:
    broker = broker_status()
    # A ping without a broker would only wait for its timeout.
    worker = worker_status() if broker["ok"] else {"ok": False, "workers": [], "error": "broker unreachable"}
    checks = {"database": database_status(), "broker": broker, "worker": worker}
    return {"ok": all(check["ok"] for check in checks.values()), **checks}
