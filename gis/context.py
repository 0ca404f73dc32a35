"""What the small maps of every page need from the settings (a context processor)."""

import json

from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _


def _extent() -> str:
    from reference.selectors import country_extent

    extent = country_extent()
    return "" if extent is None else f"{extent.west},{extent.south},{extent.east},{extent.north}"


def _text() -> str:
    return json.dumps({
        "pickOpen": _("Pick the point on a map"),
        "pickLabel": _("Map: click or tap to fill in the latitude and longitude"),
        "pickHint": _("Click or tap the map to place the point, or press Enter on the map to take its centre; "
                      "you can also type the coordinates."),
    }, ensure_ascii=False)  # fmt: skip


def map_settings(request) -> dict:
    """The base-map tile URL (empty: no base map, no request outside), the boundaries layer and
    the country's extent, which `templates/base.html` puts on `<body>` for the map scripts."""
    return {
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "map_boundaries_url": SimpleLazyObject(lambda: reverse("map-layer", args=["boundaries"])),
        # Evaluated only by a template that shows it (the extent may need a query).
        "map_extent": SimpleLazyObject(_extent),
        "map_text": SimpleLazyObject(_text),
    }
