from django.urls import path

from quality.views import report

app_name = "quality"
urlpatterns = [path("", report, name="report")]
