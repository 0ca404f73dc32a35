from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.queue import approval_queue

QueueItem = inline_serializer(
    "ApprovalQueueItem",
    {
        "id": serializers.IntegerField(),
        "reference": serializers.CharField(allow_null=True),
        "organisation": serializers.CharField(),
        "status": serializers.CharField(),
        "status_reason": serializers.CharField(),
        "updated_at": serializers.DateTimeField(),
        "url": serializers.CharField(),
    },
)


class ApprovalQueueView(APIView):
    """What waits for you: submitted records for approvers; drafts and rejected records for reporters."""

    @extend_schema(
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="Records listed per type (max 500).")],
        responses=inline_serializer(
            "ApprovalQueue",
            {
                "resource": serializers.CharField(),
                "count": serializers.IntegerField(),
                "records": serializers.ListField(child=QueueItem),
            },
            many=True,
        ),
    )
    def get(self, request):
        try:
            limit = max(1, min(int(request.query_params.get("limit", 50)), 500))
        except ValueError:
            limit = 50
        body = []
        for resource, _model, records in approval_queue(user=request.user):
            rows = [
                {
                    "id": record.pk,
                    "reference": getattr(record, "reference", None),
                    "organisation": record.organisation.acronym,
                    "status": record.status,
                    "status_reason": record.status_reason,
                    "updated_at": record.updated_at,
                    "url": request.build_absolute_uri(f"/api/v1/{resource}/{record.pk}/"),
                }
                for record in records[:limit]
            ]
            body.append({"resource": resource, "count": records.count(), "records": rows})
        return Response(body)
