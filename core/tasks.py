from celery import shared_task

from core.health import database_status


@shared_task(name="core.database_status")
def database_status_task() -> dict:
    """Runs on a worker: proves the worker reaches PostgreSQL/PostGIS, not only the broker."""
    return database_status()
