from celery import shared_task

from core.outbox import one_at_a_time
from reports import services


@shared_task(name="reports.export_run")
def export_run(export_id: int) -> None:
    """Idempotent: delivered again after a worker died (acks_late), it writes the file afresh; a
    finished export is left as it is. Delivered twice at once (sent again by the outbox), the
    second delivery leaves: two writers would remove each other's temporary file."""
    with one_at_a_time(export_run, export_id) as mine:
        if mine:
            services.export_write(export_id=export_id)


@shared_task(name="reports.exports_expire")
def exports_expire() -> int:
    return services.exports_expire()


@shared_task(name="reports.summaries_refresh")
def summaries_refresh(names: list[str], requested_at: str | None = None) -> list[str]:
    """Queued after a commit that wrote records: rebuilds these summaries, unless a refresh that
    began after `requested_at` already did. Redelivered after a worker died, it runs again: the
    rebuild is one transaction, whole or not at all."""
    import datetime

    from reports import summaries

    asked = datetime.datetime.fromisoformat(requested_at) if requested_at else None
    return [name for name in names if name in summaries.SUMMARIES and summaries.refresh(name, requested_at=asked)]


@shared_task(name="reports.summaries_refresh_due")
def summaries_refresh_due(everything: bool = False) -> list[str]:
    """On the schedule: the summaries written since their last refresh, or all of them."""
    from reports import summaries

    return summaries.refresh_due(everything=everything)
