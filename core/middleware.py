"""Requests the API refuses before any view runs, answered in JSON like every API error; and
the answer of any request that lost the database (503)."""

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import defaults

from core.db import DATABASE_UNAVAILABLE

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


# --- The database unreachable: 503, never 500 ----------------------------------------------------

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait: a PostgreSQL restart or fail-over takes a few.
RETRY_AFTER_SECONDS = 5


def database_unavailable_message() -> str:
    return _("The database did not answer: try again in a few seconds.")


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """A 503 with Retry-After: JSON for the API, a page without the database for people. Logged
    as one warning line; a traceback of a restarted server says nothing a reader can act on."""
    # One line: psycopg's messages span several.
    message = " ".join(str(exc).split())
    logger.warning("Database unavailable, %s %s answered 503: %s", request.method, request.path, message)
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": database_unavailable_message()}, status=503)
    else:
        # Rendered without the request: context processors (the menu) would query the database.
        html = loader.get_template("503.html").render({"LANGUAGE_CODE": get_language()})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    mark_logged(response)
    return response


def mark_logged(response: HttpResponse) -> None:
    # Django logs every 5xx at error level once more (django.utils.log.log_response).
    response._has_been_logged = True


class DatabaseUnavailableMiddleware:
    """A view (a page, the admin) that lost the database answers 503 rather than 500. The API's
    views answer through their exception handler (core.api.exceptions)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: what failed outside a view (a middleware saving the session) is a 503 too when
    it was the database; anything else is the usual 500 page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return database_unavailable(request, exc)
    return defaults.server_error(request)
