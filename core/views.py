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


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get JSON for a mistyped URL too; people get the usual page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)


@login_required
def approval_queue_page(request: HttpRequest) -> HttpResponse:
    """What waits for this user, per record type, with links to each record's page."""
    from core.queue import approval_queue

    sections = []
    for resource, model, records in approval_queue(user=request.user):
        rows = list(records[:100])
        sections.append(
            {
                "resource": resource,
                "label": model._meta.verbose_name_plural,
                "count": records.count(),
                "rows": [
                    (
                        record,
                        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[record.pk]),
                    )
                    for record in rows
                ],
            }
        )
    return render(request, "core/queue.html", {"sections": sections})
