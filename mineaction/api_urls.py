"""The partner API, version 1: nouns for resources, actions for transitions."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api import TokenView
from assistance.api.statistics import AssistanceStatisticsView
from assistance.api.views import AssistanceServiceViewSet, SurvivorViewSet
from community.api.views import CommunityReportViewSet
from core.api.queue import ApprovalQueueView
from core.api.removals import RemovalListView
from education.api.statistics import RiskEducationStatisticsView
from education.api.views import RiskEducationSessionViewSet
from hazards.api.statistics import HazardAreaStatisticsView, LandReleaseStatisticsView
from hazards.api.views import HazardAreaViewSet, LandReleaseActivityViewSet
from incidents.api.statistics import CasualtyStatisticsView, IncidentStatisticsView
from incidents.api.views import CasualtyViewSet, IncidentViewSet
from reference.api.views import AdministrativeAreaViewSet, LocalityViewSet, OrdnanceTypeViewSet, OrganisationViewSet
from reports.api.views import ReportRequestView

router = DefaultRouter()
router.register("admin-areas", AdministrativeAreaViewSet)
router.register("localities", LocalityViewSet)
router.register("organisations", OrganisationViewSet)
router.register("ordnance-types", OrdnanceTypeViewSet)
router.register("hazard-areas", HazardAreaViewSet)
router.register("land-release-activities", LandReleaseActivityViewSet)
router.register("incidents", IncidentViewSet)
router.register("casualties", CasualtyViewSet)
router.register("risk-education-sessions", RiskEducationSessionViewSet)
router.register("survivors", SurvivorViewSet)
router.register("assistance-services", AssistanceServiceViewSet)
router.register("community-reports", CommunityReportViewSet)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("statistics/casualties/", CasualtyStatisticsView.as_view(), name="statistics-casualties"),
    path("statistics/incidents/", IncidentStatisticsView.as_view(), name="statistics-incidents"),
    path("statistics/hazard-areas/", HazardAreaStatisticsView.as_view(), name="statistics-hazard-areas"),
    path(
        "statistics/land-release-activities/",
        LandReleaseStatisticsView.as_view(),
        name="statistics-land-release-activities",
    ),
    path(
        "statistics/risk-education-sessions/",
        RiskEducationStatisticsView.as_view(),
        name="statistics-risk-education-sessions",
    ),
    path("statistics/assistance-services/", AssistanceStatisticsView.as_view(), name="statistics-assistance-services"),
    path("approval-queue/", ApprovalQueueView.as_view(), name="approval-queue"),
    path("removals/", RemovalListView.as_view(), name="removals"),
    path("exports/", include("reports.api.urls")),
    path("open-data/", include("reports.api.opendata_urls")),
    path("reports/", ReportRequestView.as_view(), name="reports"),
    path("", include("field.api.urls")),
    path("", include(router.urls)),
]
