from django.urls import path

from gis import views

urlpatterns = [
    path("map/", views.MapView.as_view(), name="map"),
    path("map/layers/<slug:layer>/", views.layer_view, name="map-layer"),
]
