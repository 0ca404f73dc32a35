from django.urls import path

from core.pages import record_urls
from hazards import views

urlpatterns = [
    *record_urls(
        views.HAZARDS,
        list_view=views.HazardAreaList,
        detail_view=views.HazardAreaDetail,
        create_view=views.HazardAreaFormView,
        update_view=views.HazardAreaFormView,
        order=30,
    ),
    *record_urls(
        views.ACTIVITIES,
        list_view=views.LandReleaseActivityList,
        detail_view=views.LandReleaseActivityDetail,
        create_view=views.LandReleaseActivityFormView,
        update_view=views.LandReleaseActivityFormView,
        order=40,
    ),
    path("reconciliation/hazards/", views.HazardReconciliationView.as_view(), name="hazard-reconciliation"),
]
