from assistance import services
from assistance.api.serializers import AssistanceServiceSerializer, SurvivorSerializer
from assistance.filters import AssistanceServiceFilter, SurvivorFilter
from assistance.models import AssistanceService, Survivor
from core.api.views import RecordViewSet


class SurvivorViewSet(RecordViewSet):
    """Survivors followed for assistance, each linked to an injured casualty."""

    queryset = Survivor.objects.select_related("organisation", "casualty")
    serializer_class = SurvivorSerializer
    filterset_class = SurvivorFilter
    ordering_fields = ("updated_at", "id")

    def service_create(self, *, user, organisation, data):
        return services.survivor_create(user=user, organisation=organisation, data=data)

    def service_update(self, *, record, user, data):
        return services.survivor_update(survivor=record, user=user, data=data)


class AssistanceServiceViewSet(RecordViewSet):
    """Medical care, rehabilitation, psychological support, socio-economic inclusion, referral."""

    queryset = AssistanceService.objects.select_related("organisation", "survivor", "provider")
    serializer_class = AssistanceServiceSerializer
    filterset_class = AssistanceServiceFilter
    ordering_fields = ("updated_at", "start_date", "id")

    def service_create(self, *, user, organisation, data):
        survivor = data.pop("survivor")
        return services.assistance_service_create(user=user, organisation=organisation, survivor=survivor, data=data)

    def service_update(self, *, record, user, data):
        if "survivor" in data and data["survivor"] == record.survivor:
            data.pop("survivor")
        return services.assistance_service_update(service=record, user=user, data=data)
