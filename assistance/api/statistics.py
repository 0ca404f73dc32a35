"""Victim assistance in figures: services given, and to how many survivors (IMAS 13.10)."""

from django.db.models import Count
from rest_framework import serializers

from assistance.filters import AssistanceServiceFilter
from assistance.models import AssistanceService
from core import registry
from core.api.statistics import StatisticsView, described
from core.statistics import AreaGroup, date_groups


@described(
    "AssistanceStatistics",
    "Assistance services counted, with the survivors they reached, by year and month of the service's start, "
    "service type, outcome and area of the survivor's incident (at any level).",
    {"year": serializers.IntegerField(required=False)},
)
class AssistanceStatisticsView(StatisticsView):
    """Victim assistance: services by type, outcome, year and area, and the survivors reached."""

    model = AssistanceService
    groups = {
        **date_groups(registry.get(AssistanceService)),
        # Where the survivor was hurt: the incident's area.
        "admin_area": AreaGroup(registry.get(AssistanceService).region_path),
        "service_type": None,
        "outcome": None,
    }
    measures = {"count": Count("id"), "survivors": Count("survivor", distinct=True)}
    filterset_class = AssistanceServiceFilter
    filters = ("date_after", "date_before", "admin_area", "organisation", "category", "outcome")
