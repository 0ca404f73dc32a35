from django.urls import path

from gis import ogcapi_views

urlpatterns = [
    path("", ogcapi_views.landing, name="ogcapi-landing"),
    path("conformance", ogcapi_views.conformance, name="ogcapi-conformance"),
    path("collections", ogcapi_views.collections, name="ogcapi-collections"),
    path("collections/<slug:collection>", ogcapi_views.collection, name="ogcapi-collection"),
    path("collections/<slug:collection>/queryables", ogcapi_views.queryables, name="ogcapi-queryables"),
    path("collections/<slug:collection>/items", ogcapi_views.items, name="ogcapi-items"),
    path("collections/<slug:collection>/items/<str:feature_id>", ogcapi_views.item, name="ogcapi-item"),
]
