from django.conf import settings
from django.contrib.gis.forms import OSMWidget
from django.utils.translation import gettext

# Django's own message (its gis catalogue translates it), not one of ours to translate.
_CLEAR = "Delete all Features"


class MapWidget(OSMWidget):
    """Django's map widget with OpenLayers served from our static files (no CDN), started by a static
    script from options the page carries as JSON: the Content-Security-Policy allows no inline script.
    Its background is MAP_TILE_URL's tiles, as on the pages; none when unset (no request outside)."""

    template_name = "core/widgets/map.html"

    class Media:
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js", "js/admin-map-widget.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["clear_label"] = gettext(_CLEAR)
        context["options_id"] = f"{context['id']}_options"
        context["options"] = {
            "id": context["id"],
            "map_id": f"{context['id']}_map",
            "name": context["name"],
            "module": context["module"],
            "geom_name": context["geom_type"],
            "map_srid": context["map_srid"],
            "default_lon": context["default_lon"],
            "default_lat": context["default_lat"],
            "default_zoom": context["default_zoom"],
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        }
        return context
