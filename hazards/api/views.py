from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core import policy
from core.api.serializers import MergeSerializer
from core.api.views import RecordViewSet
from core.exceptions import ApplicationError
from hazards import services
from hazards.api.serializers import (
    HazardAreaOverlapCandidateSerializer,
    HazardAreaSerializer,
    LandReleaseActivitySerializer,
)
from hazards.filters import HazardAreaFilter, LandReleaseActivityFilter
from hazards.models import HazardArea, ItemFound, LandReleaseActivity
from hazards.reconciliation import hazard_area_merge, hazard_area_overlap_candidates

ITEM_FIELDS = ("category", "ordnance_type", "quantity", "condition", "depth_cm", "destroyed")


def _item_keys(items) -> list[tuple]:
    def key(item):
        ordnance = item.get("ordnance_type")
        return tuple(getattr(ordnance, "pk", ordnance) if f == "ordnance_type" else item.get(f) for f in ITEM_FIELDS)

    return sorted((key(item) for item in items), key=repr)


class HazardAreaViewSet(RecordViewSet):
    """Suspected and confirmed hazardous areas, with what land release has done to them."""

    queryset = HazardArea.objects.select_related("organisation", "admin_area")
    serializer_class = HazardAreaSerializer
    filterset_class = HazardAreaFilter
    ordering_fields = ("updated_at", "survey_date", "area_m2", "remaining_area_m2", "reference", "priority")

    def service_create(self, *, user, organisation, data):
        return services.hazard_area_create(user=user, organisation=organisation, data=data)

    def service_update(self, *, record, user, data):
        return services.hazard_area_update(hazard=record, user=user, data=data)

    # --- reconciliation ----------------------------------------------------------------------

    @extend_schema(responses=HazardAreaOverlapCandidateSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def overlaps(self, request, pk=None):
        """Open hazardous areas overlapping this one beyond the threshold: probably the same land."""
        hazard = self.get_object()
        candidates = hazard_area_overlap_candidates(hazard=hazard, user=request.user)
        return Response(HazardAreaOverlapCandidateSerializer(candidates, many=True).data)

    @extend_schema(request=MergeSerializer, responses=HazardAreaSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request, pk=None):
        """Merges another hazardous area of the same land into this one: the polygon becomes their
        union and the activities of both count on it; the other one is deleted. Authority only."""
        keep = self.get_object()
        # Refused before the body is read: a role that may not merge learns that first.
        policy.check_merge(request.user)
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        duplicate = self.get_queryset().filter(pk=body.validated_data["duplicate"]).first()
        if duplicate is None:
            raise ValidationError({"duplicate": [_("No such hazardous area, or not visible to you.")]})
        merged = hazard_area_merge(
            keep=keep, duplicate=duplicate, user=request.user, reason=body.validated_data.get("reason", "")
        )
        return self._respond(merged)


class LandReleaseActivityViewSet(RecordViewSet):
    """Surveys, clearance, spot tasks, marking, inspections and handovers, with items found."""

    queryset = LandReleaseActivity.objects.select_related("organisation", "admin_area").prefetch_related(
        Prefetch("items_found", queryset=ItemFound.objects.order_by("id"))
    )
    serializer_class = LandReleaseActivitySerializer
    filterset_class = LandReleaseActivityFilter
    ordering_fields = ("updated_at", "start_date", "end_date", "reference")

    def service_create(self, *, user, organisation, data):
        items = data.pop("items_found", [])
        unit = data.pop("area_unit", "m2")
        return services.land_release_activity_create(
            user=user, organisation=organisation, data=data, area_unit=unit, items=items
        )

    def service_update(self, *, record, user, data):
        unit = data.pop("area_unit", "m2")
        items = data.pop("items_found", None)
        # A client may send back what it read; changing the items of a report is another matter.
        if items is not None and _item_keys(items) != _item_keys(record.items_found.values(*ITEM_FIELDS)):
            raise ApplicationError(
                _("Items found are recorded with the report."),
                errors={"items_found": [_("Items found cannot be changed by an update; report them anew.")]},
            )
        return services.land_release_activity_update(activity=record, user=user, data=data, area_unit=unit)
