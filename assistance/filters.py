import django_filters

from assistance.models import AssistanceService, Survivor
from core.filters import RecordFilterSet, category_filter


class SurvivorFilter(RecordFilterSet):
    casualty = django_filters.NumberFilter(field_name="casualty_id")

    class Meta(RecordFilterSet.Meta):
        model = Survivor
        date_field = "casualty__incident__incident_date"

    def filter_admin_area(self, qs, name, value):
        from core.filters import admin_area_ids

        return qs.filter(casualty__incident__admin_area__in=admin_area_ids(value))


class AssistanceServiceFilter(RecordFilterSet):
    category = category_filter(AssistanceService.ServiceType.choices, "service_type")
    survivor = django_filters.NumberFilter(field_name="survivor_id")
    outcome = django_filters.MultipleChoiceFilter(choices=AssistanceService.Outcome.choices)

    class Meta(RecordFilterSet.Meta):
        model = AssistanceService
        date_field = "start_date"

    def filter_admin_area(self, qs, name, value):
        from core.filters import admin_area_ids

        return qs.filter(survivor__casualty__incident__admin_area__in=admin_area_ids(value))
