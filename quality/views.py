from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import is_authority
from quality.selectors import CHECKS, DEFAULT_LIMIT, GROUPS, data_quality_report


@require_GET
@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The data-quality report, for the authority's staff who correct the national database."""
    if not is_authority(request.user):
        raise PermissionDenied
    results = data_quality_report(user=request.user, limit=DEFAULT_LIMIT)
    groups = [
        {"code": code, "label": label, "checks": [result for result in results if result.group == code]}
        for code, label in GROUPS.items()
    ]
    return render(
        request,
        "quality/report.html",
        {
            "groups": groups,
            "total": sum(result.count or 0 for result in results),
            "limit": DEFAULT_LIMIT,
            "check_count": len(CHECKS),
        },
    )
