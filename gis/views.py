"""The map page, its small layers' GeoJSON (loaded one box at a time) and the vector tiles of the big ones."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import ExpiringTokenAuthentication
from core.filters import parse_bbox
from gis import selectors, tiles
from hazards.models import LandClass
from reference.selectors import country_extent

# The page a record layer's list links to (URL names `<page>-list`).
LIST_PAGES = {"hazards": "hazards", "incidents": "incidents", "activities": "activities",
              "community-reports": "community-reports"}  # fmt: skip

# Land classes by fill colour; each is at least 3:1 against white and against the pale page, as
# graphics need (WCAG 1.4.11), and they differ in lightness too, not only in hue.
LAND_CLASS_COLOURS = {
    LandClass.CHA: "#b3261e",
    LandClass.SHA: "#a15000",
    LandClass.INDICATION: "#6a3d9a",
    LandClass.AMMUNITION_STORAGE: "#1f4e99",
    LandClass.EOD_SPOT_TASK: "#00695c",
}
# Layers the page draws from vector tiles (gis.tiles), by the tiles' layer names; the others are small
# enough to load as GeoJSON one box at a time.
TILED_LAYERS = {"hazards": "hazard-areas", "incidents": "incidents", "boundaries": "admin-areas"}

POINT_COLOURS = {"incidents": "#a0175a", "activities": "#1e6b33", "community-reports": "#0b4f8a",
                 "boundaries": "#4f575e"}  # fmt: skip


def _release_states() -> list[dict]:
    # Status by outline and fill strength, so that it reads without telling colours apart.
    return [
        {"value": "open", "label": _("Open"), "dash": "solid"},
        {"value": "partially_released", "label": _("Partially released"), "dash": "dashed"},
        {"value": "released", "label": _("Released (closed or handed over)"), "dash": "dotted"},
    ]


def _layer_labels() -> dict[str, str]:
    labels = {name: capfirst(model._meta.verbose_name_plural) for name, model in selectors.LAYER_MODELS.items()}
    labels["boundaries"] = _("Administrative boundaries")
    return labels


class MapView(LoginRequiredMixin, TemplateView):
    template_name = "gis/map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        labels = _layer_labels()
        layers = []
        for name in selectors.readable_layers(self.request.user):
            try:
                list_url = reverse(f"{LIST_PAGES[name]}-list") if name in LIST_PAGES else None
            except NoReverseMatch:
                list_url = None
            layer = {"name": name, "label": labels[name], "url": reverse("map-layer", args=[name]),
                     "colour": POINT_COLOURS.get(name), "list_url": list_url,
                     "visible": name != "community-reports"}  # fmt: skip
            if name in TILED_LAYERS:
                layer["tiles"] = _tile_url(TILED_LAYERS[name])
                # The record page of a feature's id, `{id}` replaced in the page.
                record_url = selectors.detail_url_maker(LIST_PAGES[name]) if name in LIST_PAGES else None
                layer["recordUrl"] = record_url("{id}") if record_url else None
            layers.append(layer)
        extent = country_extent()
        land_classes = [{"value": value, "label": label, "colour": LAND_CLASS_COLOURS[value]}
                        for value, label in LandClass.choices]  # fmt: skip
        config = {
            "extent": [extent.west, extent.south, extent.east, extent.north] if extent is not None else None,
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            "layers": layers,
            "landClasses": land_classes,
            "releaseStates": _release_states(),
            "text": {
                "loading": _("Loading the map…"),
                "failed": _("This layer could not be loaded. Try again by moving the map."),
                "zoomIn": _("Zoom in to see all."),
                "grouped": _("grouped"),
                "records": _("records"),
                "open": _("Open the record"),
                "close": _("Close"),
                "zoomHere": _("Zoom in here"),
                "more": _("and %(count)s more: zoom in to list them."),
                "none": _("None in this view."),
            },
        }
        context.update(
            config=config,
            layers=layers,
            land_classes=land_classes,
            release_states=_release_states(),
        )
        return context


def _tile_url(layer: str) -> str:
    """The tiles' URL template as OpenLayers takes it: `/tiles/<layer>/{z}/{x}/{y}.pbf`."""
    return reverse("map-tile", args=[layer, 0, 0, 0]).replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf")


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


@require_GET
@gzip_page
def layer_view(request, layer: str):
    """GeoJSON of one layer: `?bbox=west,south,east,north` (degrees, WGS84) and `&zoom=N`."""
    if not request.user.is_authenticated:
        return _error(_("Log in to see the map's layers."), 401)
    if layer not in selectors.LAYERS:
        return _error(_("No such layer."), 404)
    if layer not in selectors.readable_layers(request.user):
        return _error(_("Your role does not read these records."), 403)
    bbox = request.GET.get("bbox", "")
    if not bbox:
        return _error(_("Give the box as west,south,east,north in degrees (WGS84)."))
    try:
        box = parse_bbox(bbox)
    except ValidationError as error:
        return _error(" ".join(error.messages))
    box.srid = 4326
    try:
        zoom = int(request.GET.get("zoom", ""))
    except ValueError:
        return _error(_("Give the zoom as a whole number from 0 to %(max)s.") % {"max": selectors.MAX_ZOOM})
    if not 0 <= zoom <= selectors.MAX_ZOOM:
        return _error(_("Give the zoom as a whole number from 0 to %(max)s.") % {"max": selectors.MAX_ZOOM})
    result = selectors.layer_features(layer, request.user, box, zoom)
    response = HttpResponse(result.as_json(layer, zoom), content_type="application/geo+json")
    # Records change and differ by user: a browser may keep an answer for a moment, no shared cache.
    response["Cache-Control"] = "private, max-age=30"
    return response


def token_or_session_user(request):
    """The token's user when the request carries `Authorization: Token …` (as the API, token
    first), else the session's, as the map page."""
    found = ExpiringTokenAuthentication().authenticate(request)
    return found[0] if found is not None else request.user


def _unchanged(request, version: str) -> bool:
    # Weak comparison (RFC 9110 §13.1.2): gzip makes the ETag sent back weak.
    tags = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    return "*" in tags or f'"{version}"' in tags


@require_GET
@gzip_page
def tile_view(request, layer: str, z: int, x: int, y: int):
    """A Mapbox Vector Tile of one layer (gis.tiles), as the user may read it. An empty tile is a 200
    with an empty body, which MapLibre and OpenLayers draw as nothing."""
    try:
        user = token_or_session_user(request)
    except AuthenticationFailed as failure:
        response = _error(str(failure.detail), 401)
        response["WWW-Authenticate"] = "Token"
        return response
    if not user.is_authenticated:
        response = _error(_("Log in to see the map's layers."), 401)
        response["WWW-Authenticate"] = "Token"
        return response
    if layer not in tiles.LAYERS:
        return _error(_("No such layer."), 404)
    if not tiles.tile_exists(z, x, y):
        return _error(_("Not found."), 404)
    if not tiles.layer_readable(layer, user):
        return _error(_("Your role does not read these records."), 403)
    # A cheap count first when the browser holds a copy: unchanged, the tile is not drawn again.
    if request.headers.get("If-None-Match"):
        version = tiles.tile_version(layer, user, z, x, y)
        if _unchanged(request, version):
            return _tile_headers(HttpResponse(status=304), version)
    tile = tiles.tile_render(layer, user, z, x, y)
    return _tile_headers(HttpResponse(tile.content, content_type=tiles.CONTENT_TYPE), tile.version)


def _tile_headers(response: HttpResponse, version: str) -> HttpResponse:
    response["ETag"] = f'"{version}"'
    # Scoped per user: a browser may keep a tile for a minute, a shared cache never.
    response["Cache-Control"] = "private, max-age=60"
    patch_vary_headers(response, ("Authorization", "Cookie"))
    return response
