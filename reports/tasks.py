from celery import shared_task

from reports import services


@shared_task(name="reports.export_run")
def export_run(export_id: int) -> None:
    """Idempotent: delivered again after a worker died (acks_late), it writes the file afresh."""
    services.export_write(export_id=export_id)


@shared_task(name="reports.exports_expire")
def exports_expire() -> int:
    return services.exports_expire()
