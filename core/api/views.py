"""The shape every record type's API shares: scoped reads, service writes, idempotent
creation by `external_id`, ETags and If-Match, GeoJSON lists."""

from types import SimpleNamespace

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.selectors import user_organisation
from core import policy, registry
from core.api import bulk, reading
from core.api.concurrency import check_if_match, check_version_read, etag, if_match_tags, not_modified
from core.api.permissions import RolePermissions
from core.api.renderers import GeoJSONErrorsAsJSON, GeoJSONRenderer
from core.api.serializers import TRANSITION_REQUEST, HistoryEventSerializer
from core.db import without_parallel_workers
from core.history import record_history_for, recorded
from core.selectors import records_visible
from core.services import clean_text, external_id_lock
from core.workflow import record_delete, record_restore, record_transition
from reference.models import Organisation

IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="The ETag of the version you read. Stale: 412. Required (428) when someone else changed the "
    "record last.",
)  # fmt: skip
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Optional: the ETag you read; a stale one answers 412.",
)  # fmt: skip
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="The ETag you hold: 304 without a body when the record has not changed.",
)  # fmt: skip


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy(
        "A deleted or merged record holds this external_id: restore it, or send the record under another one."
    )
    default_code = "conflict"


def require_object(request) -> None:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("Send one record as a JSON object.")]})


def external_id_of(value) -> str | None:
    """The reporter's identifier as sent, checked before any query uses it; a value of the wrong
    type is left to the serializer's field error."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return clean_text(str(value), "external_id", max_length=100) or None


class RecordViewSet(GeoJSONErrorsAsJSON, viewsets.ModelViewSet):
    """Subclasses set `queryset`, `serializer_class`, `filterset_class`, `ordering_fields`, and
    define `service_create(...)` and `service_update(...)`. Views parse and answer: who may
    do what is decided by the services (core.policy), what is seen by the selectors."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    permission_classes = [IsAuthenticated, RolePermissions]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering = ("-updated_at", "-id")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Each record type's batch body lists its own records, in the OpenAPI description.
        bulk.describe_bulk_actions(cls)

    @classmethod
    def get_extra_actions(cls):
        actions = super().get_extra_actions()
        if getattr(cls, "queryset", None) is not None and not registry.get(cls.queryset.model).has_workflow:
            # A part of a report (a casualty) is sent with its report and follows its workflow.
            actions = [a for a in actions if a.__name__ not in ("batch", "bulk_transition")]
        return actions

    @property
    def entry(self) -> registry.RecordType:
        return registry.get(self.queryset.model)

    @property
    def geometry_field(self) -> str | None:
        return self.entry.geometry_field

    def get_renderers(self):
        renderers = [JSONRenderer()]
        # Lines about many records are no map: JSON only.
        if self.geometry_field and getattr(self, "action", None) not in ("batch", "bulk_transition"):
            renderers.append(GeoJSONRenderer())
        return renderers

    def base_queryset(self):
        # `queryset` names the related rows to fetch with each record (bounded query count).
        return self.queryset.all()

    def get_queryset(self):
        return records_visible(self.base_queryset(), self.request.user, entry=self.entry)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "entry": self.entry}

    # --- helpers -------------------------------------------------------------------------

    def owner(self, record):
        """The record that carries organisation and status."""
        return self.entry.owner(record)

    def _respond(self, record, status_code=status.HTTP_200_OK, **headers) -> Response:
        record = self.get_queryset().get(pk=record.pk)
        response = Response(self.get_serializer(record).data, status=status_code, headers=headers)
        response["ETag"] = etag(record)
        return response

    def reporting_organisation(self, requested: Organisation | None) -> Organisation:
        """The organisation named in the request, else the user's own; whether the user may
        report for it is the service's question (core.policy.check_report_for)."""
        organisation = requested or user_organisation(self.request.user)
        if organisation is None:
            # An account that reports for nobody is refused; the authority must name one.
            policy.check_report_for(self.request.user, self.queryset.model, None)
            raise ValidationError({"organisation": [_("Name the reporting organisation.")]})
        return organisation

    def lock_external_id(self, organisation: Organisation, external_id: str | None) -> None:
        if external_id:
            external_id_lock(self.queryset.model, organisation_id=organisation.pk, external_id=external_id)

    def existing_by_external_id(self, organisation: Organisation, external_id):
        if not external_id:
            return None
        record = self.base_queryset().filter(organisation=organisation, external_id=external_id).first()
        model = self.queryset.model
        # Still reserved by a deleted or merged record: say so rather than fail on the constraint.
        reserved = record is None and hasattr(model, "all_objects")
        if reserved and model.all_objects.filter(organisation=organisation, external_id=external_id).exists():
            raise Conflict()
        return record

    def _requested_organisation(self, data) -> Organisation | None:
        acronym = data.get("organisation")
        if not acronym or not isinstance(acronym, str):
            return None
        return Organisation.objects.filter(acronym=acronym).first()

    def _create(self, request, organisation: Organisation, data: dict):
        data.pop("organisation", None)
        with recorded(user=request.user, action="create"):
            record = self.service_create(user=request.user, organisation=organisation, data=data)
        return self._respond(record, status.HTTP_201_CREATED, Location=self._location(record))

    # --- reads -----------------------------------------------------------------------------

    @extend_schema(parameters=[IF_NONE_MATCH])
    def retrieve(self, request, *args, **kwargs):
        plan = reading.plan_for(self.get_serializer())
        if plan is not None:
            return self._retrieve_values(request, plan)
        record = self.get_object()
        if not_modified(request, record):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(record)})
        response = Response(self.get_serializer(record).data)
        response["ETag"] = etag(record)
        return response

    def _retrieve_values(self, request, plan) -> Response:
        """One record read as values (core.api.reading), like a page of one."""
        queryset = self.filter_queryset(self.get_queryset())
        key = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        try:
            found = list(reading.rows(plan, queryset.filter(**{self.lookup_field: key}), keep=("version",))[:1])
        except (TypeError, ValueError, DjangoValidationError):
            found = []
        if not found:
            raise NotFound()
        version = SimpleNamespace(version=found[0]["version"])
        if not_modified(request, version):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(version)})
        response = Response(reading.represent(plan, found, user=request.user)[0])
        response["ETag"] = etag(version)
        return response

    # --- writes ----------------------------------------------------------------------------

    def create(self, request, *args, **kwargs):
        require_object(request)
        organisation = self.reporting_organisation(self._requested_organisation(request.data))
        external_id = external_id_of(request.data.get("external_id"))
        with transaction.atomic():
            # Retries sent at the same instant wait here for the first one, then find its record.
            self.lock_external_id(organisation, external_id)
            existing = self.existing_by_external_id(organisation, external_id)
            if existing is not None:
                return self._respond(existing)
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            return self._create(request, organisation, dict(serializer.validated_data))

    def _location(self, record) -> str:
        return self.reverse_action("detail", args=[record.pk])

    def _update(self, request, record, *, partial: bool) -> Response:
        require_object(request)
        with transaction.atomic():
            updated = self.change_record(
                request, record, request.data, partial=partial, if_match=if_match_tags(request)
            )
        return self._respond(updated)

    def change_record(self, request, record, body: dict, *, partial: bool, if_match: list[str] | None):
        """One record changed from a request body, the caller holding the transaction: locked,
        the policy asked, the version read checked, the body validated, the service called."""
        locked = type(record).objects.select_for_update().get(pk=record.pk)
        # Refused before the precondition: a user who may not change it learns that first.
        policy.check_change(request.user, locked)
        check_version_read(request.user, locked, if_match)
        serializer = self.get_serializer(locked, data=body, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "organisation" in data and data["organisation"] != locked.organisation:
            raise ValidationError({"organisation": [_("The reporting organisation of a record does not change.")]})
        data.pop("organisation", None)
        with recorded(user=request.user, action="update"):
            return self.service_update(record=locked, user=request.user, data=data)

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request, *args, **kwargs):
        return self._update(request, self.get_object(), partial=False)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, *args, **kwargs):
        return self._update(request, self.get_object(), partial=True)

    @extend_schema(parameters=[IF_MATCH], responses={204: None})
    def destroy(self, request, *args, **kwargs):
        record = self.get_object()
        with transaction.atomic():
            locked = type(record).objects.select_for_update().get(pk=record.pk)
            policy.check_delete(request.user, locked)
            check_if_match(request, locked)
            self.service_delete(record=locked, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def service_delete(self, *, record, user) -> None:
        record_delete(record=record, user=user)

    @extend_schema(
        parameters=[
            IF_MATCH,
            OpenApiParameter("external_id", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter(
                "organisation", OpenApiTypes.STR, OpenApiParameter.QUERY,
                description="Authority only: acronym of the organisation whose identifier this is.",
            ),
        ],
        responses={200: OpenApiResponse(description="Updated"), 201: OpenApiResponse(description="Created")},
    )  # fmt: skip
    @action(detail=False, methods=["put"], url_path=r"external/(?P<external_id>[^/]+)", url_name="external")
    def external(self, request, external_id: str):
        """Upsert by the reporter's own identifier: creates the record or updates it."""
        require_object(request)
        external_id = external_id_of(external_id)
        acronym = request.query_params.get("organisation")
        requested = get_object_or_404(Organisation, acronym=acronym) if acronym else None
        organisation = self.reporting_organisation(requested)
        with transaction.atomic():
            # Retries sent at the same instant wait here: the first creates, the others update.
            self.lock_external_id(organisation, external_id)
            existing = self.existing_by_external_id(organisation, external_id)
            if existing is not None:
                if not self.get_queryset().filter(pk=existing.pk).exists():
                    raise PermissionDenied()
                return self._update(request, existing, partial=False)
            serializer = self.get_serializer(data={**request.data, "external_id": external_id})
            serializer.is_valid(raise_exception=True)
            return self._create(request, organisation, dict(serializer.validated_data))

    # --- workflow ------------------------------------------------------------------------------

    def _transition(self, request, action_name: str) -> Response:
        record = self.get_object()
        body = TRANSITION_REQUEST(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        version = body.validated_data.get("version")
        with transaction.atomic():
            locked = type(record).objects.select_for_update().get(pk=record.pk)
            # The version read comes in the body or as If-Match; an approval needs one.
            if request.headers.get("If-Match"):
                policy.check_transition(request.user, locked, action_name)
                check_if_match(request, locked)
                version = locked.version if version is None else version
            updated = record_transition(
                record=locked,
                user=request.user,
                action=action_name,
                reason=body.validated_data.get("reason", ""),
                version=version,
            )
        return self._respond(updated)

    @extend_schema(request=TRANSITION_REQUEST, parameters=[IF_MATCH_OPTIONAL])
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Sends a draft or rejected record to the authority for approval; it is frozen until
        approved, rejected or withdrawn."""
        return self._transition(request, "submit")

    @extend_schema(request=TRANSITION_REQUEST, parameters=[IF_MATCH_OPTIONAL])
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Takes a submitted record back to draft, so that its reporter can change it."""
        return self._transition(request, "withdraw")

    @extend_schema(request=TRANSITION_REQUEST, parameters=[IF_MATCH_OPTIONAL])
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approves a submitted record: from now on it counts in the national figures. Send the
        version you read (`version`, or its ETag in If-Match): a record changed since is not
        approved (412)."""
        return self._transition(request, "approve")

    @extend_schema(request=TRANSITION_REQUEST, parameters=[IF_MATCH_OPTIONAL])
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Rejects a submitted record; `reason` is required and goes back to the reporter."""
        return self._transition(request, "reject")

    @extend_schema(request=TRANSITION_REQUEST, parameters=[IF_MATCH_OPTIONAL])
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Sends an approved record back for correction (to submitted); `reason` is required."""
        return self._transition(request, "reopen")

    # --- many records in one request (core.api.bulk) ------------------------------------------

    # The body is described per record type (core.api.bulk.describe_bulk_actions).
    @extend_schema(responses={200: bulk.BatchAnswerSerializer})
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def batch(self, request):
        """Creates up to 1000 records, each like the body of a single POST and each with its
        `external_id`; with `"upsert": true`, replaces those already sent, as PUT …/external/<id>/.
        Answers 200 with one line per record, in the order sent, with the status a single request
        would have had: a refused record never loses the others, and a batch sent again answers
        200 for each record already stored."""
        return bulk.batch_response(self, request)

    @extend_schema(request=bulk.BulkTransitionSerializer, responses={200: bulk.BulkTransitionAnswerSerializer})
    @action(detail=False, methods=["post"], url_path="bulk-transition", url_name="bulk-transition",
            filter_backends=[], pagination_class=None)  # fmt: skip
    def bulk_transition(self, request):
        """Submits, withdraws, approves, rejects or reopens up to 1000 records (`records`: their ids, and
        the version read, required to approve). Answers 200 with one line per record, with the status a
        single act on it would have had; each record is checked and recorded in its history as alone."""
        return bulk.bulk_transition_response(self, request)

    @extend_schema(responses=HistoryEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """Every version of the record: who, when, which action, why, and what changed. Readers
        of another organisation see organisations rather than people, and no personal data."""
        record = self._any_visible(pk)
        return Response(HistoryEventSerializer(record_history_for(record, request.user), many=True).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], filter_backends=[])
    def restore(self, request, pk=None):
        """Brings back a deleted record, as it was."""
        record = self._any_visible(pk)
        with transaction.atomic():
            restored = record_restore(record=record, user=request.user)
        return self._respond(restored)

    def _any_visible(self, pk):
        """Deleted records too: their history and their restoring."""
        model = self.queryset.model
        everything = getattr(model, "all_objects", model.objects).all()
        queryset = records_visible(everything, self.request.user, entry=self.entry)
        return get_object_or_404(queryset, pk=pk)

    # Last in the class: the name `list` would hide the built-in from the annotations above.
    def list(self, request, *args, **kwargs):
        """A page of records, read as values (core.api.reading) where the serializer allows."""
        plan = reading.plan_for(self.get_serializer())
        if plan is None:
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        # The fields the pages are ordered by, for the cursor's position.
        ordering = [name.lstrip("-") for name in queryset.query.order_by]
        rows = reading.rows(plan, queryset, keep=tuple(ordering))
        with without_parallel_workers():
            page = self.paginator.paginate_queryset(rows, request, view=self, counted=queryset)
            data = reading.represent(plan, page, user=request.user)
        return self.get_paginated_response(data)
