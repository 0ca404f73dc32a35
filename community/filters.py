import django_filters

from community.models import CommunityReport
from core.filters import RecordFilterSet, bbox_filter, category_filter


class CommunityReportFilter(RecordFilterSet):
    category = category_filter(CommunityReport.Subject.choices, "subject")
    outcome = django_filters.MultipleChoiceFilter(choices=CommunityReport.Outcome.choices)
    bbox = bbox_filter("location")

    class Meta(RecordFilterSet.Meta):
        model = CommunityReport
