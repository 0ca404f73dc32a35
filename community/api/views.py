from community import services
from community.api.serializers import CommunityReportSerializer
from community.filters import CommunityReportFilter
from community.models import CommunityReport
from core.api.views import RecordViewSet


class CommunityReportViewSet(RecordViewSet):
    """Communities' reports of suspected items or areas."""

    queryset = CommunityReport.objects.select_related("organisation", "admin_area")
    serializer_class = CommunityReportSerializer
    filterset_class = CommunityReportFilter
    ordering_fields = ("updated_at", "report_date", "reference")

    def service_create(self, *, user, organisation, data):
        return services.community_report_create(user=user, organisation=organisation, data=data)

    def service_update(self, *, record, user, data):
        return services.community_report_update(report=record, user=user, data=data)
