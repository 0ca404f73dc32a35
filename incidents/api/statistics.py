from django.db.models import Count
from rest_framework import serializers

from core.api.statistics import StatisticsView, described
from incidents.filters import CasualtyFilter, IncidentFilter
from incidents.models import Casualty, Incident
from incidents.selectors import (
    INCIDENT_STATISTICS_GROUPS,
    STATISTICS_GROUPS,
    casualty_statistics,
    incident_statistics,
    statistics_grouping,
)

FILTERS = ["date_after", "date_before", "admin_area", "bbox", "organisation", "category", "outcome", "sex",
           "civilian_status", "age_group"]  # fmt: skip
# The casualty filters that apply to incidents, and the incident's own class.
INCIDENT_FILTERS = ["date_after", "date_before", "admin_area", "bbox", "organisation", "category", "incident_class"]

YEAR = {"year": serializers.IntegerField(required=False)}


@described(
    "CasualtyStatistics",
    "Casualties counted by year, month, area, device, civilian status, sex, age group, outcome. `month` brings "
    "`year` with it: casualties of an incident known only by its year count under `month: null`.",
    YEAR,
)
class CasualtyStatisticsView(StatisticsView):
    """Casualties counted by year, month, area, device, civilian status, sex, age group, outcome."""

    model = Casualty
    groups = STATISTICS_GROUPS
    measures = {"count": Count("id")}
    filterset_class = CasualtyFilter
    filters = tuple(FILTERS)

    def grouping(self, group_by):
        return statistics_grouping(group_by)

    def statistics(self, queryset, *, group_by, include_submitted, admin_area_level):
        return casualty_statistics(
            casualties=queryset,
            group_by=group_by,
            include_submitted=include_submitted,
            admin_area_level=admin_area_level,
        )


@described(
    "IncidentStatistics",
    "Incidents counted by year, month, area (at any level), class and device category. `month` brings `year` "
    "with it: an incident known only by its year counts under `month: null`.",
    YEAR,
)
class IncidentStatisticsView(StatisticsView):
    """Incidents counted by year, month, administrative area, class and device category."""

    model = Incident
    groups = INCIDENT_STATISTICS_GROUPS
    measures = {"count": Count("id")}
    filterset_class = IncidentFilter
    filters = tuple(INCIDENT_FILTERS)

    def grouping(self, group_by):
        return statistics_grouping(group_by)

    def statistics(self, queryset, *, group_by, include_submitted, admin_area_level):
        return incident_statistics(
            incidents=queryset,
            group_by=group_by,
            include_submitted=include_submitted,
            admin_area_level=admin_area_level,
        )
