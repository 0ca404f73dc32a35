"""Imports too large to check or write while a request waits (field.services)."""

from celery import shared_task

from core.outbox import one_at_a_time
from field import services


@shared_task(name="field.import_check")
def import_check_run(record_import_id: int) -> None:
    """Delivered again after a worker died, it checks again: the dry run saves only its report.
    Once checked (or confirmed since), a second delivery does nothing; two at once, the second
    leaves."""
    with one_at_a_time(import_check_run, record_import_id) as mine:
        if mine:
            services.import_check(record_import_id=record_import_id)


@shared_task(name="field.import_write")
def import_write_run(record_import_id: int) -> None:
    """The write is one transaction: delivered again after a worker died mid-way, the import is
    still `importing` and nothing of it was saved, so it is written afresh; once imported, a
    second delivery does nothing. Two deliveries at once would both write: the second leaves."""
    with one_at_a_time(import_write_run, record_import_id) as mine:
        if mine:
            services.import_write(record_import_id=record_import_id)
