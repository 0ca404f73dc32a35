import django_filters

from core.filters import RecordFilterSet, bbox_filter, category_filter
from hazards.models import HazardArea, LandClass, LandReleaseActivity


class HazardAreaFilter(RecordFilterSet):
    category = category_filter(LandClass.choices, "land_class")
    hazard_status = django_filters.MultipleChoiceFilter(choices=HazardArea.HazardStatus.choices)
    bbox = bbox_filter("geometry")

    class Meta(RecordFilterSet.Meta):
        model = HazardArea


class LandReleaseActivityFilter(RecordFilterSet):
    category = category_filter(LandReleaseActivity.Kind.choices, "kind")
    hazard_area = django_filters.NumberFilter(field_name="hazard_area_id")
    bbox = bbox_filter("location")

    class Meta(RecordFilterSet.Meta):
        model = LandReleaseActivity
