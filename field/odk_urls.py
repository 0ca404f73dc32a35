"""OpenRosa URLs under /odk/: Collect appends `formList` and `submission` to the server address."""

from django.urls import path

from field import odk_views

urlpatterns = [
    path("formList", odk_views.form_list, name="odk-form-list"),
    path("submission", odk_views.submission, name="odk-submission"),
    path("forms/<slug:form_id>/form.xml", odk_views.form_download, name="odk-form"),
    path("forms/<slug:form_id>/form.xlsx", odk_views.form_xlsx, name="odk-xlsform"),
    path("forms/<slug:form_id>/manifest", odk_views.form_manifest, name="odk-manifest"),
    path("forms/<slug:form_id>/media/<str:filename>", odk_views.form_media, name="odk-media"),
]
