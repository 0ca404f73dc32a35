from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import is_authority
from core.selectors import records_visible
from incidents.filters import CasualtyFilter
from incidents.models import Casualty
from incidents.selectors import STATISTICS_GROUPS, casualty_statistics

FILTERS = ["date_after", "date_before", "admin_area", "bbox", "organisation", "category", "outcome", "sex",
           "civilian_status", "age_group"]  # fmt: skip


class CasualtyStatisticsView(APIView):
    """Casualties counted by year, month, area, device, civilian status, sex, age group, outcome."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, required=True,
                description=f"Comma-separated, among: {', '.join(STATISTICS_GROUPS)}.",
            ),
            OpenApiParameter(
                "include_submitted", OpenApiTypes.BOOL,
                description="Authority only: count submitted incidents as well as approved ones.",
            ),
            *[OpenApiParameter(name, OpenApiTypes.STR) for name in FILTERS],
        ],
        responses=inline_serializer(
            "CasualtyStatistics",
            {
                "group_by": serializers.ListField(child=serializers.CharField()),
                "include_submitted": serializers.BooleanField(),
                "total": serializers.IntegerField(),
                "results": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )  # fmt: skip
    def get(self, request):
        raw = request.query_params.get("group_by", "")
        group_by = [name.strip() for name in raw.split(",") if name.strip()]
        unknown = [name for name in group_by if name not in STATISTICS_GROUPS]
        if not group_by or unknown:
            raise ValidationError(
                {"group_by": [_("Group by one or more of: %(names)s.") % {"names": ", ".join(STATISTICS_GROUPS)}]}
            )
        if not (request.user.has_perm("accounts.view_statistics") or is_authority(request.user)):
            raise PermissionDenied(_("Your role does not read statistics."))
        include_submitted = request.query_params.get("include_submitted", "").lower() in ("1", "true", "yes")
        if include_submitted and not is_authority(request.user):
            raise PermissionDenied(_("Only the authority counts records that are not approved yet."))
        casualties = records_visible(Casualty.objects.all(), request.user, via="incident__")
        # A copy of the query string keeps repeated parameters (category=a&category=b).
        data = request.query_params.copy()
        for name in list(data):
            if name not in FILTERS:
                del data[name]
        filterset = CasualtyFilter(data=data, queryset=casualties, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        results = casualty_statistics(casualties=filterset.qs, group_by=group_by, include_submitted=include_submitted)
        return Response(
            {
                "group_by": group_by,
                "include_submitted": include_submitted,
                "total": sum(row["count"] for row in results),
                "results": results,
            }
        )
