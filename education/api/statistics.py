"""Risk education in figures: whom sessions reached, by sex and age (SADD, IMAS 12.10)."""

from django.db.models import Count, F, Sum
from rest_framework import serializers

from core import registry
from core.api.statistics import StatisticsView, described
from core.statistics import AreaGroup, date_groups
from education.filters import RiskEducationSessionFilter
from education.models import RiskEducationSession

BENEFICIARIES = ("girls", "boys", "women", "men")


@described(
    "RiskEducationStatistics",
    "Risk education sessions counted, with the people they reached (girls, boys, women, men, of whom with a "
    "disability, and in all), by year, month, area (at any level), method and target group.",
    {"year": serializers.IntegerField(required=False)},
)
class RiskEducationStatisticsView(StatisticsView):
    """Risk education: sessions and beneficiaries by sex and age, by year, area, method, group."""

    model = RiskEducationSession
    groups = {
        **date_groups(registry.get(RiskEducationSession)),
        "admin_area": AreaGroup("admin_area"),
        "method": None,
        "target_group": None,
    }
    measures = {
        "count": Count("id"),
        **{name: Sum(name) for name in (*BENEFICIARIES, "with_disability")},
        "beneficiaries": Sum(F("girls") + F("boys") + F("women") + F("men")),
    }
    filterset_class = RiskEducationSessionFilter
    filters = ("date_after", "date_before", "admin_area", "bbox", "organisation", "category", "target_group")
