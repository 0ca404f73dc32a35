from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Too many failed logins (django-axes): a page that says for how long, or JSON for the API."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    if request.path.startswith("/api/"):
        detail = _("Too many failed logins: try again in %(minutes)d minutes.") % {"minutes": minutes}
        return JsonResponse({"detail": detail}, status=429, headers={"Retry-After": str(minutes * 60)})
    return render(request, "registration/locked.html", {"cooloff_minutes": minutes}, status=429)
