from celery import shared_task

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
    for source_id in ids:
        kobo_pull.delay(source_id)
    return ids
