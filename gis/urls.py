from django.urls import path

from gis import views

urlpatterns = [
    path("map/", views.MapView.as_view(), name="map"),
    path("map/layers/<slug:layer>/", views.layer_view, name="map-layer"),
    path("tiles/<slug:layer>/<int:z>/<int:x>/<int:y>.pbf", views.tile_view, name="map-tile"),
]
