import pytest
from celery.contrib.testing.worker import start_worker

from mineaction.celery import app as celery_app


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread, consuming from the real Redis broker."""
    # start_worker pings through this task before it yields.
    import celery.contrib.testing.tasks  # noqa: F401

    with start_worker(celery_app, pool="solo", perform_ping_check=True, shutdown_timeout=10) as worker:
        yield worker
