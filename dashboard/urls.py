from django.urls import path

from dashboard.views import dashboard, figure_csv

urlpatterns = [
    path("", dashboard, name="home"),
    path("dashboard/<slug:slug>.csv", figure_csv, name="dashboard-csv"),
]
