import django_filters

from assistance.models import AssistanceService, Survivor
from core.filters import RecordFilterSet, category_filter


class SurvivorFilter(RecordFilterSet):
    casualty = django_filters.NumberFilter(field_name="casualty_id")

    class Meta(RecordFilterSet.Meta):
        model = Survivor


class AssistanceServiceFilter(RecordFilterSet):
    category = category_filter(AssistanceService.ServiceType.choices, "service_type")
    survivor = django_filters.NumberFilter(field_name="survivor_id")
    outcome = django_filters.MultipleChoiceFilter(choices=AssistanceService.Outcome.choices)

    class Meta(RecordFilterSet.Meta):
        model = AssistanceService
