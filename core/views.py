from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from core.health import system_status


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    status = system_status()
    return JsonResponse(status, status=200 if status["ok"] else 503)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get JSON for a mistyped URL too; people get the usual page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)


# The oldest waiting records a queue shows per record type (the rest are in the record type's list,
# filtered by status), and the approved ones offered for reopening: a page light enough for slow links.
QUEUE_ROWS = 10
RECENTLY_APPROVED_ROWS = 5


class _QueueActions:
    """Workflow buttons for a list of records the user reads, asked of `core.policy` once per
    (status, organisation) rather than once per row and action: for a record the user reads,
    the policy's answer depends on nothing else of the record."""

    def __init__(self, user, page_name: str | None):
        self.user = user
        self.page_name = page_name
        self.known: dict[tuple[str, int], list[dict]] = {}

    def __call__(self, record) -> list[dict]:
        # A record type without pages has no transition URL to post to.
        if self.page_name is None:
            return []
        from core.pages import workflow_actions

        key = (record.status, record.organisation_id)
        url = reverse(f"{self.page_name}-transition", args=[record.pk])
        if key not in self.known:
            self.known[key] = workflow_actions(self.user, record, self.page_name)
        return [{**action, "url": url} for action in self.known[key]]


@login_required
def approval_queue_page(request: HttpRequest) -> HttpResponse:
    """What waits for this user, per record type, each record linked to its page with the workflow
    buttons the user may use on it. Reporters also see what they submitted (to withdraw it);
    those who may reopen see the records approved last (reopening is also on each record's page)."""
    from accounts.selectors import user_organisation
    from core.models import RecordStatus
    from core.pages import page_name_for, record_url
    from core.queue import approval_queue
    from core.selectors import scoped
    from core.workflow import TRANSITIONS

    user = request.user
    approver = user.has_perm(TRANSITIONS["approve"].permission)
    may_reopen = user.has_perm(TRANSITIONS["reopen"].permission)
    organisation = user_organisation(user)
    sections = []
    for resource, model, records in approval_queue(user=user):
        page_name = page_name_for(model)
        actions = _QueueActions(user, page_name)

        def rows(queryset, actions=actions):
            return [{"record": record, "url": record_url(record), "actions": actions(record)} for record in queryset]

        waiting = rows(records[:QUEUE_ROWS])
        section = {
            "resource": resource,
            "label": model._meta.verbose_name_plural,
            "rows": waiting,
            # Counted only when the list is cut: a short queue is its own count.
            "count": records.count() if len(waiting) == QUEUE_ROWS else len(waiting),
            # (rows, title, shown folded, link to more): what waits, then what the user may still undo.
            "lists": [(waiting, None, False, None)] if waiting else [],
        }
        if section["count"] > len(waiting) and page_name is not None:
            statuses = [RecordStatus.SUBMITTED] if approver else [RecordStatus.DRAFT, RecordStatus.REJECTED]
            query = "&".join(f"status={status}" for status in statuses)
            section["lists"][0] = (waiting, None, False, f"{reverse(f'{page_name}-list')}?{query}")
        base = model._default_manager.select_related("organisation")
        if not approver and organisation is not None:
            # The reporter's own records waiting for the authority: it may still withdraw them.
            submitted = scoped(base.filter(status=RecordStatus.SUBMITTED, organisation=organisation), user)
            submitted_rows = rows(submitted.order_by("updated_at", "id")[:QUEUE_ROWS])
            if submitted_rows:
                section["lists"].append((submitted_rows, _("Submitted, waiting for approval"), False, None))
        if may_reopen:
            approved = scoped(base.filter(status=RecordStatus.APPROVED), user).order_by("-updated_at", "-id")
            approved_rows = rows(approved[:RECENTLY_APPROVED_ROWS])
            if approved_rows:
                more = f"{reverse(f'{page_name}-list')}?status={RecordStatus.APPROVED}" if page_name else None
                section["lists"].append((approved_rows, _("Approved last, to reopen"), True, more))
        sections.append(section)
    return render(request, "core/queue.html", {"sections": sections, "next": reverse("approval-queue")})
