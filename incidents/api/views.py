from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from core import policy
from core.api.serializers import MergeSerializer
from core.api.views import RecordViewSet
from core.services import external_id_lock
from incidents import services
from incidents.api.serializers import (
    CasualtyIdentitySerializer,
    CasualtySerializer,
    IncidentDuplicateCandidateSerializer,
    IncidentSerializer,
)
from incidents.filters import CasualtyFilter, IncidentFilter
from incidents.models import Casualty, Incident, IncidentSource
from incidents.reconciliation import incident_duplicate_candidates, incident_merge
from incidents.selectors import casualty_identity_get


class IncidentViewSet(RecordViewSet):
    """Explosive ordnance incidents; create one with its casualties and sources in one request."""

    queryset = Incident.objects.select_related("organisation", "admin_area").prefetch_related(
        Prefetch("casualties", queryset=Casualty.objects.order_by("id")),
        Prefetch("sources", queryset=IncidentSource.objects.select_related("organisation").order_by("id")),
    )
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    ordering_fields = ("updated_at", "incident_date", "reference")

    def service_create(self, *, user, organisation, data):
        casualties = data.pop("casualties", [])
        sources = data.pop("sources", [])
        return services.incident_create(
            user=user, organisation=organisation, data=data, casualties=casualties, sources=sources
        )

    def service_update(self, *, record, user, data):
        from core.exceptions import ApplicationError

        errors = {}
        if "casualties" in data:
            errors["casualties"] = [_("Casualties change through /api/v1/casualties/.")]
        if "sources" in data:
            errors["sources"] = [_("Sources are recorded with the incident and do not change.")]
        if errors:
            raise ApplicationError(_("The record is not valid."), errors=errors)
        return services.incident_update(incident=record, user=user, data=data)

    # --- reconciliation ----------------------------------------------------------------------

    @extend_schema(responses=IncidentDuplicateCandidateSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def duplicates(self, request, pk=None):
        """Incidents that are probably the same event: near in place and time, most likely first."""
        incident = self.get_object()
        candidates = incident_duplicate_candidates(incident=incident, user=request.user)
        return Response(IncidentDuplicateCandidateSerializer(candidates, many=True).data)

    @extend_schema(request=MergeSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request, pk=None):
        """Merges another report of the same incident into this one, keeping every source; the other
        one is deleted. Authority only."""
        keep = self.get_object()
        # Refused before the body is read: a role that may not merge learns that first.
        policy.check_merge(request.user)
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        duplicate = self.get_queryset().filter(pk=body.validated_data["duplicate"]).first()
        if duplicate is None:
            raise ValidationError({"duplicate": [_("No such incident, or not visible to you.")]})
        merged = incident_merge(
            keep=keep, duplicate=duplicate, user=request.user, reason=body.validated_data.get("reason", "")
        )
        return self._respond(merged)


class CasualtyViewSet(RecordViewSet):
    """Casualties, disaggregated by sex, age and civilian status; never their identity."""

    # Casualties of a deleted (or merged) incident leave the lists with it.
    queryset = Casualty.objects.filter(incident__deleted_at__isnull=True).select_related(
        "incident", "incident__organisation"
    )
    serializer_class = CasualtySerializer
    filterset_class = CasualtyFilter
    ordering_fields = ("updated_at", "id")

    def owner(self, record):
        return record.incident

    def _incident_id(self) -> int | None:
        incident = str(self.request.data.get("incident") or "")
        return int(incident) if incident.isdigit() and len(incident) < 19 else None

    def lock_external_id(self, organisation, external_id):
        # A casualty's identifier is unique within its incident.
        if external_id and self._incident_id() is not None:
            external_id_lock(Casualty, organisation_id=0, external_id=external_id, scope=str(self._incident_id()))

    def existing_by_external_id(self, organisation, external_id):
        if not external_id or self._incident_id() is None:
            return None
        return self.get_queryset().filter(incident_id=self._incident_id(), external_id=external_id).first()

    # External identifiers of casualties are unique per incident: no upsert route by them alone.
    external = None
    # A casualty follows its incident through the workflow.
    submit = withdraw = approve = reject = reopen = restore = None

    @extend_schema(responses=CasualtyIdentitySerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def identity(self, request, pk=None):
        """The casualty's identity: only for roles allowed to read it; every read is logged."""
        casualty = self.get_object()
        found = casualty_identity_get(user=request.user, casualty=casualty, channel="api", path=request.path)
        if found is None:
            raise NotFound()
        return Response(CasualtyIdentitySerializer(found).data)

    def service_delete(self, *, record, user) -> None:
        services.casualty_delete(casualty=record, user=user)

    def service_create(self, *, user, organisation, data):
        incident = data.pop("incident")
        return services.casualty_add(incident=incident, user=user, data=data)

    def service_update(self, *, record, user, data):
        if "incident" in data and data["incident"] != record.incident:
            from core.exceptions import ApplicationError

            raise ApplicationError(
                _("The record is not valid."), errors={"incident": [_("A casualty does not move to another incident.")]}
            )
        data.pop("incident", None)
        return services.casualty_update(casualty=record, user=user, data=data)
