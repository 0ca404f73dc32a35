import logging

from celery import shared_task
from celery.signals import worker_ready

from core import outbox
from core.health import database_status

logger = logging.getLogger(__name__)


@shared_task(name="core.database_status")
def database_status_task() -> dict:
    """Runs on a worker: proves the worker reaches PostgreSQL/PostGIS, not only the broker."""
    return database_status()


@shared_task(name="core.outbox_relay")
def outbox_relay() -> int:
    """Every minute on the beat schedule: the tasks the outbox kept while the broker was unreachable."""
    return outbox.relay()


@worker_ready.connect
def relay_when_a_worker_starts(sender=None, **kwargs) -> None:
    # A worker starting is often the broker coming back: the waiting work goes now, not at the next minute.
    try:
        outbox.relay()
    except Exception:
        logger.warning("The outbox relay failed as the worker started: beat runs it again.", exc_info=True)
    finally:
        # The worker's main process reads the database for nothing else: no connection left idle.
        from django.db import connection

        connection.close()
