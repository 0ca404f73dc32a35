"""Hazardous areas and land release in figures (APMBC Article 7, Landmine Monitor): the shape of
every statistics endpoint (core.api.statistics), approved records only unless the authority asks."""

from django.db.models import Count, Sum
from rest_framework import serializers

from core import registry
from core.api.statistics import StatisticsView, described
from core.statistics import AreaGroup, date_groups
from hazards.filters import HazardAreaFilter, LandReleaseActivityFilter
from hazards.models import HazardArea, LandReleaseActivity

YEAR = {"year": serializers.IntegerField(required=False)}


@described(
    "HazardAreaStatistics",
    "Hazardous areas counted, with their area and remaining area in m², by year surveyed, land class, hazard "
    "status and area (at any level).",
    YEAR,
)
class HazardAreaStatisticsView(StatisticsView):
    """Hazardous areas: how many, how large, how much remains, by land class, status and area."""

    model = HazardArea
    groups = {
        **date_groups(registry.get(HazardArea)),
        "admin_area": AreaGroup("admin_area"),
        "land_class": None,
        "hazard_status": None,
    }
    measures = {"count": Count("id"), "area_m2": Sum("area_m2"), "remaining_area_m2": Sum("remaining_area_m2")}
    float_measures = ("area_m2", "remaining_area_m2")
    filterset_class = HazardAreaFilter
    filters = ("date_after", "date_before", "admin_area", "bbox", "organisation", "category", "hazard_status")


@described(
    "LandReleaseStatistics",
    "Land released in m² (cancelled by non-technical survey, reduced by technical survey, cleared) and "
    "activities counted, by year of the activity's start, kind and area (at any level).",
    YEAR,
)
class LandReleaseStatisticsView(StatisticsView):
    """Land release: area cancelled, reduced and cleared, by year, kind of activity and area."""

    model = LandReleaseActivity
    groups = {**date_groups(registry.get(LandReleaseActivity)), "admin_area": AreaGroup("admin_area"), "kind": None}
    measures = {
        "count": Count("id"),
        "area_cancelled_m2": Sum("area_cancelled_m2"),
        "area_reduced_m2": Sum("area_reduced_m2"),
        "area_cleared_m2": Sum("area_cleared_m2"),
    }
    float_measures = ("area_cancelled_m2", "area_reduced_m2", "area_cleared_m2")
    filterset_class = LandReleaseActivityFilter
    filters = ("date_after", "date_before", "admin_area", "bbox", "organisation", "category", "hazard_area")
