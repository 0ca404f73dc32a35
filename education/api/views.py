from core.api.views import RecordViewSet
from education import services
from education.api.serializers import RiskEducationSessionSerializer
from education.filters import RiskEducationSessionFilter
from education.models import RiskEducationSession


class RiskEducationSessionViewSet(RecordViewSet):
    """Explosive ordnance risk education sessions and whom they reached (girls, boys, women, men)."""

    queryset = RiskEducationSession.objects.select_related("organisation", "admin_area")
    serializer_class = RiskEducationSessionSerializer
    filterset_class = RiskEducationSessionFilter
    ordering_fields = ("updated_at", "session_date", "reference")

    def service_create(self, *, user, organisation, data):
        return services.risk_education_session_create(user=user, organisation=organisation, data=data)

    def service_update(self, *, record, user, data):
        return services.risk_education_session_update(session=record, user=user, data=data)
