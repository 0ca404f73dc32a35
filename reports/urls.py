from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("exports/", views.ExportListView.as_view(), name="exports"),
    path("exports/new/", views.ExportRequestView.as_view(), name="export-new"),
    path("reports/", views.TreatyReportView.as_view(), name="treaty"),
]
