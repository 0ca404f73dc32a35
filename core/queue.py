"""The approval queue: what waits for each role (selectors shared by the API and the pages)."""

from django.db.models import QuerySet

from accounts.selectors import is_authority, user_organisation
from core import registry
from core.models import RecordStatus
from core.selectors import records_visible


def queue_models() -> list[tuple[str, type]]:
    """Record types with a workflow of their own, from the registry."""
    return [(entry.slug, entry.model) for entry in registry.with_workflow()]


def approval_queue(*, user) -> list[tuple[str, type, QuerySet]]:
    """Approvers of the authority: submitted records (in their régions). Everyone else: their
    organisation's drafts and rejected records, which wait for them."""
    approver = is_authority(user) and user.has_perm("accounts.approve_record")
    organisation = user_organisation(user)
    queues = []
    for resource, model in queue_models():
        if not user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
            continue
        records = records_visible(model.objects.all(), user)
        if approver:
            waiting = records.filter(status=RecordStatus.SUBMITTED)
        elif organisation is not None:
            waiting = records.filter(organisation=organisation, status__in=[RecordStatus.DRAFT, RecordStatus.REJECTED])
        else:
            waiting = records.none()
        queues.append((resource, model, waiting.select_related("organisation").order_by("updated_at", "id")))
    return queues
