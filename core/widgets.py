from django.contrib.gis.forms import OSMWidget


class MapWidget(OSMWidget):
    """Django's OpenStreetMap widget with OpenLayers served from our static files (no CDN)."""

    class Media:
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")
