from celery import shared_task
from django.db import transaction

from core import outbox
from field.models import KoboSource


@shared_task(name="field.kobo_pull")
def kobo_pull(source_id: int) -> dict:
    """One source, on demand ("Pull now" in the admin). Delivered again after a worker died, it
    pulls again: rows already received are skipped."""
    from field.kobo import kobo_source_pull

    source = KoboSource.objects.select_related("user").filter(pk=source_id).first()
    if source is None:
        return {"source": None, "errors": ["deleted"]}
    return kobo_source_pull(source=source).as_dict()


@shared_task(name="field.kobo_pull_all")
def kobo_pull_all() -> list[int]:
    """On the beat schedule (hourly, editable in the admin): a pull of every enabled source, each
    its own task, so that one slow or failing server delays no other."""
    ids = list(KoboSource.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        for source_id in ids:
            outbox.enqueue(kobo_pull, args=[source_id])
    return ids
