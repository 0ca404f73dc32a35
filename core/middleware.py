"""Requests the API refuses before any view runs, answered in JSON like every API error."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

NUL = "\x00"


def too_large_message(limit: int) -> str:
    return _("The request body is larger than the limit of %(limit)s bytes: send fewer records per request.") % {
        "limit": limit
    }


class APIRequestGuardMiddleware:
    """For `/api/` requests: a NUL in the path or query string is a 400, a body announced larger
    than DATA_UPLOAD_MAX_MEMORY_SIZE a 413, each in JSON; Django would answer HTML, or PostgreSQL
    would refuse the NUL with a 500 once a view looked it up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        message = _("Text cannot contain the NUL character (\\u0000).")
        if NUL in request.path_info:
            return JsonResponse({"detail": _("The URL path cannot contain a NUL character.")}, status=400)
        errors: dict[str, list[str]] = {}
        for name, values in request.GET.lists():
            if NUL in name or any(NUL in value for value in values):
                errors[name.replace(NUL, "\\u0000")] = [message]
        if errors:
            return JsonResponse(errors, status=400)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": _("The Content-Length header is not a number.")}, status=400)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # Checked before anything reads the body, as Django itself would when the view reads it.
        if limit is not None and length > limit:
            return JsonResponse({"detail": too_large_message(limit)}, status=413)
        return None
