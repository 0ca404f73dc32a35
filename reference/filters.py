import django_filters

from core.filters import bbox_filter
from reference.models import AdministrativeArea, Locality, OrdnanceCategory, OrdnanceType, Organisation


class AdministrativeAreaFilter(django_filters.FilterSet):
    level = django_filters.NumberFilter()
    parent = django_filters.CharFilter(field_name="parent__pcode", help_text="P-code of the parent area.")
    pcode = django_filters.CharFilter()
    current = django_filters.BooleanFilter(
        field_name="valid_to", lookup_expr="isnull", help_text="true: current boundaries only; false: past ones."
    )
    bbox = bbox_filter("geometry")

    class Meta:
        model = AdministrativeArea
        fields = ()


class LocalityFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    admin_area = django_filters.CharFilter(method="filter_admin_area")
    kind = django_filters.MultipleChoiceFilter(choices=Locality.Kind.choices)
    bbox = bbox_filter("location")

    class Meta:
        model = Locality
        fields = ()

    def filter_admin_area(self, qs, name, value):
        from core.filters import admin_area_ids

        return qs.filter(admin_area__in=admin_area_ids(value))


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Organisation.Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Organisation
        fields = ()


class OrdnanceTypeFilter(django_filters.FilterSet):
    category = django_filters.MultipleChoiceFilter(choices=OrdnanceCategory.choices)
    improvised = django_filters.BooleanFilter()

    class Meta:
        model = OrdnanceType
        fields = ()
