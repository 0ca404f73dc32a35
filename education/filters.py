import django_filters

from core.filters import RecordFilterSet, bbox_filter, category_filter
from education.models import RiskEducationSession


class RiskEducationSessionFilter(RecordFilterSet):
    category = category_filter(RiskEducationSession.Method.choices, "method")
    target_group = django_filters.MultipleChoiceFilter(choices=RiskEducationSession.TargetGroup.choices)
    bbox = bbox_filter("location")

    class Meta(RecordFilterSet.Meta):
        model = RiskEducationSession
