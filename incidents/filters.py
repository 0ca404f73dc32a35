import django_filters

from core.filters import AcronymFilter, RecordFilterSet, bbox_filter, category_filter
from incidents.models import Casualty, Incident
from reference.models import OrdnanceCategory, Organisation


class IncidentFilter(RecordFilterSet):
    category = category_filter(OrdnanceCategory.choices, "device_category")
    incident_class = django_filters.MultipleChoiceFilter(choices=Incident.IncidentClass.choices)
    bbox = bbox_filter("location")

    class Meta(RecordFilterSet.Meta):
        model = Incident


class CasualtyFilter(django_filters.FilterSet):
    """Casualties follow their incident: its date, place, status and organisation."""

    incident = django_filters.NumberFilter(field_name="incident_id")
    outcome = django_filters.MultipleChoiceFilter(choices=Casualty.Outcome.choices)
    sex = django_filters.MultipleChoiceFilter(choices=Casualty._meta.get_field("sex").choices)
    civilian_status = django_filters.MultipleChoiceFilter(choices=Casualty.CivilianStatus.choices)
    age_group = django_filters.MultipleChoiceFilter(choices=Casualty.AgeGroup.choices)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    date_after = django_filters.DateFilter(method="filter_date_after")
    date_before = django_filters.DateFilter(field_name="incident__incident_date", lookup_expr="lte")
    category = category_filter(OrdnanceCategory.choices, "incident__device_category")
    status = django_filters.MultipleChoiceFilter(
        field_name="incident__status", choices=Incident._meta.get_field("status").choices
    )
    organisation = AcronymFilter(
        field_name="incident__organisation__acronym", queryset=Organisation.objects.all(), to_field_name="acronym"
    )
    admin_area = django_filters.CharFilter(method="filter_admin_area")
    bbox = bbox_filter("incident__location")
    external_id = django_filters.CharFilter()

    class Meta:
        model = Casualty
        fields = ()

    def filter_date_after(self, qs, name, value):
        """As the incidents' own filter (core.filters.RecordFilterSet): casualties of an incident
        known by its year 2003 are on or after 2003-06-01."""
        from core.filters import period_reaches

        return period_reaches(qs, value, "incident__incident_date", "incident__date_precision")

    def filter_admin_area(self, qs, name, value):
        from core.filters import admin_area_ids

        return qs.filter(incident__admin_area__in=admin_area_ids(value))
