from django.urls import path

from reports.api.views import ExportDetailView, ExportDownloadView, ExportListView

urlpatterns = [
    path("", ExportListView.as_view(), name="exports"),
    path("<int:pk>/", ExportDetailView.as_view(), name="export-detail"),
    path("<int:pk>/download/", ExportDownloadView.as_view(), name="export-download"),
]
