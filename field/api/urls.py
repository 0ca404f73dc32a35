from django.urls import path

from field.api import views

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/rows/", views.ImportRowsView.as_view(), name="import-rows"),
    path("imports/<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="import-confirm"),
    path("import-mappings/", views.ImportMappingListView.as_view(), name="import-mappings"),
    path("import-mappings/<slug:name>/", views.ImportMappingDetailView.as_view(), name="import-mapping-detail"),
]
