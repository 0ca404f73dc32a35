from django.urls import path

from core.views import approval_queue_page

urlpatterns = [
    path("queue/", approval_queue_page, name="approval-queue"),
]
