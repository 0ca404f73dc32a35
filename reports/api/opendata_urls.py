"""Open data: aggregated figures as HXL-tagged CSV (reports.opendata)."""

from django.urls import path

from reports.api.opendata import OpenDataFileView, OpenDataListView

urlpatterns = [
    path("", OpenDataListView.as_view(), name="open-data"),
    path("<slug:dataset>.csv", OpenDataFileView.as_view(), name="open-data-csv"),
]
