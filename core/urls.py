from django.urls import path

from core.views import approval_queue_page, home

urlpatterns = [
    path("", home, name="home"),
    path("queue/", approval_queue_page, name="approval-queue"),
]
