"""One error shape for the API: field-level messages for 400, `detail` for the rest."""

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from core.db import DATABASE_UNAVAILABLE
from core.exceptions import ApplicationError, RecordChanged
from core.middleware import database_unavailable, too_large_message

_INDEXED = re.compile(r"^(?P<name>\w+)\[(?P<index>\d+)\]$")


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The record was changed since you read it: fetch it again and reapply your change.")
    default_code = "precondition_failed"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Another change of the same data was saved at the same moment: read it again and retry.")
    default_code = "conflict"


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Someone else may have changed this record: send the ETag you read in an If-Match header.")
    default_code = "precondition_required"


def nest_errors(errors: dict[str, list[str]]) -> dict[str, Any]:
    """Service keys such as `casualties[1].age` become DRF's nested shape for lists:
    {"casualties": {"1": {"age": ["..."]}}}."""
    nested: dict[str, Any] = {}
    for key, messages in errors.items():
        node = nested
        parts = key.split(".")
        for position, part in enumerate(parts):
            match = _INDEXED.match(part)
            path = [match["name"], match["index"]] if match else [part]
            for step in path[:-1]:
                node = node.setdefault(step, {})
            if position == len(parts) - 1:
                target = node.setdefault(path[-1], [] if not match else {})
                if isinstance(target, dict):
                    target.setdefault("non_field_errors", []).extend(messages)
                else:
                    target.extend(messages)
            else:
                node = node.setdefault(path[-1], {})
    return nested


def exception_handler(exc: Exception, context: dict) -> Any:
    if isinstance(exc, DATABASE_UNAVAILABLE):
        # PostgreSQL restarting or out of reach: the client retries (Retry-After), as for a 429.
        return database_unavailable(context["request"], exc)
    if isinstance(exc, ApplicationError):
        exc = ValidationError(nest_errors(exc.errors) or {"non_field_errors": [exc.message]})
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        # The generic, translated message: never the model's name.
        exc = NotFound()
    elif isinstance(exc, RecordChanged):
        exc = PreconditionFailed()
    elif isinstance(exc, IntegrityError):
        # A last guard: a constraint's name means nothing to a partner, and a write raced another.
        exc = Conflict()
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads the body through request.body, which raises this; Django would answer HTML 400.
        exc = APIException(too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    return drf_exception_handler(exc, context)
