from django.urls import path

from core.pages import record_urls
from incidents import views

urlpatterns = [
    *record_urls(
        views.PAGE,
        list_view=views.IncidentList,
        detail_view=views.IncidentDetail,
        create_view=views.IncidentFormView,
        update_view=views.IncidentFormView,
        order=45,
    ),
    path(
        "incidents/<int:pk>/casualties/<int:casualty>/identity/",
        views.CasualtyIdentityView.as_view(),
        name="incidents-casualty-identity",
    ),
    path("reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path("reconciliation/incidents/merge/", views.IncidentMergeView.as_view(), name="reconciliation-merge"),
]
