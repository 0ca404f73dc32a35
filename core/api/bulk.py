"""Many records in one request, for every record type with a workflow (RecordViewSet's actions):

- `POST …/batch/` creates (or, with `"upsert": true`, replaces) up to BATCH_MAX_RECORDS records,
  each like the body of a single POST, each through the same steps as the single create (the
  advisory lock of its `external_id`, the service, its history), in its own transaction (a
  savepoint when the caller holds one): one refused record never loses the others.
- `POST …/bulk-transition/` moves a selection along the workflow (core.bulk.records_transition).

Both answer 200 once the request itself could be read, with one line per record in the order sent,
each with the status a single request for that record would have had: a partner's script reads
every line, rather than the first error only. A request that cannot be read at all (not an object,
no list, too many records) answers 400 and changes nothing.
"""

import uuid
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from pghistory import runtime as pghistory_runtime
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.response import Response

from core.api.exceptions import exception_handler, nest_errors
from core.bulk import BULK_TRANSITION_MAX_RECORDS, Outcome, records_transition
from core.exceptions import ApplicationError, RecordChanged
from core.history import recorded
from core.workflow import REASON_MAX_LENGTH, TRANSITIONS

# The most records one batch may carry: a national import is sent in several batches, none of which
# holds a web worker for minutes (a thousand incidents take seconds: bench/batch_writes.py).
BATCH_MAX_RECORDS = 1000
INT_MAX = 2**31 - 1
ID_MAX = 2**63 - 1


# --- What the requests and answers look like (OpenAPI) ----------------------------------------


class BatchLineSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the record in `records`, from 0.")
    status = serializers.IntegerField(
        help_text="What a single request for this record would have answered: 201 created, 200 already there "
        "(or replaced, with upsert), 400 invalid, 403 not allowed, 409 external_id held by a deleted record or "
        "repeated in this batch, 412/428 (upsert) a stale or missing version."
    )
    id = serializers.IntegerField(required=False, help_text="The record's id (200, 201).")
    external_id = serializers.CharField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, help_text="The record's version now (200, 201).")
    errors = serializers.DictField(required=False, help_text="400: messages per field, as for a single POST.")
    detail = serializers.CharField(required=False, help_text="Why the record was refused (403, 409, 412, 428).")


class BatchAnswerSerializer(serializers.Serializer):
    results = serializers.ListField(child=BatchLineSerializer())


class BulkTransitionItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=INT_MAX,
        help_text="The version you read. Required to approve: a record changed since is not approved (412).",
    )  # fmt: skip


class BulkTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(TRANSITIONS))
    records = serializers.ListField(
        child=BulkTransitionItemSerializer(), min_length=1, max_length=BULK_TRANSITION_MAX_RECORDS
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=REASON_MAX_LENGTH,
        help_text="Required to reject or reopen; the same for every record.",
    )  # fmt: skip


class BulkTransitionLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.IntegerField(
        help_text="What a single request for this record would have answered: 200 done, 400 not possible from its "
        "status (or no version to approve), 403 not allowed, 404 not found or not visible to you, 409 listed twice, "
        "412 changed since the version you read."
    )
    version = serializers.IntegerField(required=False, help_text="The record's new version (200).")
    errors = serializers.DictField(required=False, help_text="400: messages per field.")
    detail = serializers.CharField(required=False)


class BulkTransitionAnswerSerializer(serializers.Serializer):
    action = serializers.CharField()
    results = serializers.ListField(child=BulkTransitionLineSerializer())


def describe_bulk_actions(viewset) -> None:
    """The batch body of `viewset` names its own record type (a list of `<Record>Request`), so that
    generated clients type each record; called for each RecordViewSet subclass."""
    serializer_class = getattr(viewset, "serializer_class", None)
    queryset = getattr(viewset, "queryset", None)
    if serializer_class is None or queryset is None:
        return
    name = queryset.model.__name__
    body = inline_serializer(
        f"{name}Batch",
        {
            "records": serializers.ListField(child=serializer_class(), min_length=1, max_length=BATCH_MAX_RECORDS),
            "upsert": serializers.BooleanField(
                required=False, default=False,
                help_text="Replace a record already sent with the same external_id, as PUT …/external/<id>/ "
                "does (give `version` in the record, as If-Match). Without it, such a record is left as it is "
                "and answers 200, as a repeated POST does.",
            ),
        },
    )  # fmt: skip
    extend_schema_view(batch=extend_schema(request=body, responses={200: BatchAnswerSerializer}))(viewset)


# --- Helpers ------------------------------------------------------------------------------------


def _refusal(view, request, exc: Exception) -> dict | None:
    """The status and message a single request would have answered for `exc` (the API's one
    exception handler), as a line; None for an exception that is a fault of the server."""
    answered = (APIException, ApplicationError, DjangoPermissionDenied, Http404, IntegrityError, RecordChanged)
    if not isinstance(exc, answered):
        return None
    # In a savepoint of its own: should requests ever be atomic (ATOMIC_REQUESTS), the handler's
    # rollback must undo nothing of the records already stored.
    with transaction.atomic():
        response = exception_handler(exc, {"view": view, "request": request})
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        return {"status": 400, "errors": response.data}
    return {"status": response.status_code, "detail": str(response.data.get("detail", ""))}


def _positive_int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= ID_MAX else None


def _record_line(record, code: int) -> dict:
    return {"status": code, "id": record.pk, "external_id": record.external_id, "version": record.version}


# --- POST …/batch/ ------------------------------------------------------------------------------


def _batch_body(data) -> tuple[list, bool]:
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_('Send an object: {"records": [...]}.')]})
    records = data.get("records")
    if not isinstance(records, list) or not records:
        raise ValidationError({"records": [_("Send the records as a list of one or more objects.")]})
    if len(records) > BATCH_MAX_RECORDS:
        raise ValidationError(
            {"records": [_("At most %(max)d records per request (%(count)d sent): send the others in another one.")
                         % {"max": BATCH_MAX_RECORDS, "count": len(records)}]}
        )  # fmt: skip
    upsert = data.get("upsert", False)
    if not isinstance(upsert, bool):
        raise ValidationError({"upsert": [_("Give true or false.")]})
    return records, upsert


def batch_response(view, request) -> Response:
    records, upsert = _batch_body(request.data)
    lines, seen = [], {}
    # One serializer validates every new record, as a list serializer's child does: building its
    # fields again for each record would cost a fifth of the batch.
    creating = view.get_serializer()
    for index, item in enumerate(records):
        try:
            # Its own transaction: the lock of its external_id is released once it is stored.
            with _history_context_of_its_own(), transaction.atomic():
                line = _batch_one(view, request, item, index=index, upsert=upsert, seen=seen, creating=creating)
        except Exception as exc:  # each line says what a single request would have answered
            refusal = _refusal(view, request, exc)
            if refusal is None:
                raise
            line = {"status": refusal.pop("status")}
            if isinstance(item, dict):
                # The sender's own identifier names the record, as far as it is text.
                sent = item.get("external_id")
                line["external_id"] = str(sent) if isinstance(sent, str | int) and not isinstance(sent, bool) else None
            line.update(refusal)
        lines.append({"index": index, **line})
    return Response({"results": lines})


@contextmanager
def _history_context_of_its_own():
    """pghistory groups every change made in a request under one context, whose metadata the last
    act sets (its `action`): in a batch that creates some records and replaces others, each record
    gets a context of its own, so that its history names its own act. The request's context
    (user, URL: pghistory's middleware) is copied into it, and put back after."""
    outer = getattr(pghistory_runtime._tracker, "value", None)
    if outer is None:
        # No request context (a command): core.history.recorded opens one per act.
        yield
        return
    # django-pghistory 3.9 keeps the current context per thread here (tests/api/test_bulk.py
    # checks each record's history names its own act).
    pghistory_runtime._tracker.value = pghistory_runtime.Context(id=uuid.uuid4(), metadata=dict(outer.metadata))
    try:
        yield
    finally:
        pghistory_runtime._tracker.value = outer


class _Repeated(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "repeated"


def _batch_one(view, request, item, *, index: int, upsert: bool, seen: dict, creating) -> dict:
    # The same helper as RecordViewSet.create (core.api.views imports this module).
    from core.api.views import external_id_of

    if not isinstance(item, dict):
        raise ValidationError({"non_field_errors": [_("Send each record as a JSON object.")]})
    item = dict(item)
    external_id = external_id_of(item.get("external_id"))
    if not external_id:
        raise ValidationError(
            {"external_id": [_("Give each record of a batch its own external_id, as text: a batch sent again "
                               "then creates nothing twice.")]}
        )  # fmt: skip
    organisation = view.reporting_organisation(view._requested_organisation(item))
    key = (organisation.pk, external_id)
    if key in seen:
        raise _Repeated(_("This external_id is already used by record %(index)d of this batch.") % {"index": seen[key]})
    seen[key] = index
    # Retries sent at the same instant, singly or in batches, wait here for the first one.
    view.lock_external_id(organisation, external_id)
    existing = view.existing_by_external_id(organisation, external_id)
    if existing is not None:
        if not view.get_queryset().filter(pk=existing.pk).exists():
            raise DRFPermissionDenied()
        if not upsert:
            return _record_line(existing, 200)
        return _record_line(_replace(view, request, existing, item), 200)
    # The checks of `serializer.is_valid()`, with the same messages.
    data = dict(creating.run_validation(item))
    data.pop("organisation", None)
    with recorded(user=request.user, action="create"):
        record = view.service_create(user=request.user, organisation=organisation, data=data)
    return _record_line(record, 201)


def _replace(view, request, record, item: dict):
    """The record replaced by `item`, as PUT …/external/<external_id>/ does; the item's `version`
    is its If-Match."""
    version = item.pop("version", None)
    if version is not None and _positive_int(version) is None:
        raise ValidationError({"version": [_("Give the version you read, as a whole number.")]})
    if_match = None if version is None else [f'"{_positive_int(version)}"']
    return view.change_record(request, record, item, partial=False, if_match=if_match)


# --- POST …/bulk-transition/ --------------------------------------------------------------------


def _transition_body(data) -> tuple[str, list[tuple[int, int | None]], str]:
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_('Send an object: {"action": ..., "records": [...]}.')]})
    errors: dict = {}
    action = data.get("action")
    if action not in TRANSITIONS:
        errors["action"] = [_("Give one of: %(actions)s.") % {"actions": ", ".join(TRANSITIONS)}]
    reason = data.get("reason", "")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        errors["reason"] = [_("Give text.")]
    records = data.get("records")
    items: list[tuple[int, int | None]] = []
    if not isinstance(records, list) or not records:
        errors["records"] = [_('Send the records as a list of one or more {"id": ..., "version": ...}.')]
    elif len(records) > BULK_TRANSITION_MAX_RECORDS:
        errors["records"] = [
            _("At most %(max)d records per request (%(count)d sent): send the others in another one.")
            % {"max": BULK_TRANSITION_MAX_RECORDS, "count": len(records)}
        ]
    else:
        wrong: dict[str, dict] = {}
        for position, record in enumerate(records):
            problems = {}
            pk = _positive_int(record.get("id")) if isinstance(record, dict) else None
            if pk is None:
                problems["id"] = [_("Give the record's id, a whole number.")]
            version = record.get("version") if isinstance(record, dict) else None
            if version is not None and (_positive_int(version) is None or version > INT_MAX):
                problems["version"] = [_("Give the version you read, as a whole number.")]
            if problems:
                wrong[str(position)] = problems
            else:
                items.append((pk, version))
        if wrong:
            errors["records"] = wrong
    if errors:
        raise ValidationError(errors)
    return action, items, reason


# The answer a single request would have had, for each outcome of core.bulk.
TRANSITION_STATUS = {
    Outcome.DONE: status.HTTP_200_OK,
    Outcome.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    Outcome.REFUSED: status.HTTP_403_FORBIDDEN,
    Outcome.CHANGED: status.HTTP_412_PRECONDITION_FAILED,
    Outcome.INVALID: status.HTTP_400_BAD_REQUEST,
    Outcome.REPEATED: status.HTTP_409_CONFLICT,
    Outcome.CONFLICT: status.HTTP_409_CONFLICT,
}


def bulk_transition_response(view, request) -> Response:
    action, items, reason = _transition_body(request.data)
    outcomes = records_transition(
        model=view.queryset.model, user=request.user, action=action, items=items, reason=reason
    )
    lines = []
    for outcome in outcomes:
        line = {"id": outcome.record_id, "status": TRANSITION_STATUS[outcome.outcome]}
        if outcome.done:
            line["version"] = outcome.record.version
        elif outcome.outcome == Outcome.INVALID:
            line["detail"] = outcome.message
            line["errors"] = nest_errors(outcome.errors) or {"non_field_errors": [outcome.message]}
        else:
            line["detail"] = outcome.message
        lines.append(line)
    return Response({"action": action, "results": lines})
