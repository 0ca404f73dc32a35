"""OGC API – Features endpoints (gis.ogcapi): JSON for GIS clients, HTML for browsers, `?f=` wins.

A request is authenticated as the vector tiles are: `Authorization: Token …` first, else the
session. Anonymous: 401; a collection the role may not read answers as one that does not exist.
"""

import json
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed

from gis import crs as crs_module
from gis import ogcapi
from gis.views import token_or_session_user

JSON = "application/json"
GEOJSON = "application/geo+json"
SCHEMA = "application/schema+json"
HTML = "text/html"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
# Parameters of the items request besides the collection's queryables; any other is refused
# (OGC API – Features, /req/core/query-param-unknown).
ITEMS_PARAMETERS = frozenset({"f", "bbox", "bbox-crs", "crs", "datetime", "limit", "offset"})


def _error(message: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({"code": status, "description": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Token"
    return response


def _not_found() -> JsonResponse:
    return _error(_("Not found."), 404)


def _format(request) -> str | None:
    """`json` or `html`: `?f=` first, else the Accept header, JSON when it says nothing; None for an
    unknown `f`."""
    wanted = request.GET.get("f")
    if wanted is not None:
        return wanted if wanted in ("json", "html") else None
    preferred = request.get_preferred_type([JSON, GEOJSON, HTML])
    return "html" if preferred == HTML else "json"


def ogc_endpoint(view: Callable) -> Callable:
    """Authenticates (token, else session), chooses the format, and marks the answer private."""

    @wraps(view)
    @require_GET
    def wrapper(request, *args, **kwargs):
        try:
            user = token_or_session_user(request)
        except AuthenticationFailed as failure:
            return _error(str(failure.detail), 401)
        if not user.is_authenticated:
            return _error(_("Log in, or send an API token, to read these collections."), 401)
        output = _format(request)
        if output is None:
            return _error(_("Ask for f=json or f=html."))
        response = view(request, user, output, *args, **kwargs)
        # Answers differ by user and by format: a browser may keep one a moment, a shared cache never.
        response["Cache-Control"] = "private, max-age=30"
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        return response

    return wrapper


def _url(request, name: str, *args, **query) -> str:
    url = request.build_absolute_uri(reverse(name, args=args))
    return f"{url}?{'&'.join(f'{key}={value}' for key, value in query.items())}" if query else url


def _self_links(request, name: str, *args, json_type: str = JSON) -> list[dict]:
    """`self` in the format answered and `alternate` in the other."""
    return [
        {"href": _url(request, name, *args, f="json"), "rel": "self", "type": json_type, "title": _("This document")},
        {"href": _url(request, name, *args, f="html"), "rel": "alternate", "type": HTML, "title": _("As HTML")},
    ]


def _answer(request, output: str, document: dict, template: str, content_type: str = JSON) -> HttpResponse:
    if output == "html":
        return render(request, f"gis/ogcapi/{template}", {"document": document})
    return JsonResponse(document, content_type=content_type, json_dumps_params={"ensure_ascii": False})


@ogc_endpoint
def landing(request, user, output: str):
    document = {
        "title": _("Mine Action IMS: national mine action database"),
        "description": _("Hazardous areas, land release, incidents, risk education and boundaries."),
        "links": [
            *_self_links(request, "ogcapi-landing"),
            {"href": _url(request, "ogcapi-conformance", f="json"), "rel": "conformance", "type": JSON,
             "title": _("Conformance classes")},
            {"href": _url(request, "ogcapi-conformance", f="html"), "rel": "conformance", "type": HTML,
             "title": _("Conformance classes")},
            {"href": _url(request, "ogcapi-collections", f="json"), "rel": "data", "type": JSON,
             "title": _("Collections")},
            {"href": _url(request, "ogcapi-collections", f="html"), "rel": "data", "type": HTML,
             "title": _("Collections")},
        ],
    }  # fmt: skip
    return _answer(request, output, document, "landing.html")


@ogc_endpoint
def conformance(request, user, output: str):
    document = {"conformsTo": list(ogcapi.CONFORMANCE)}
    return _answer(request, output, document, "conformance.html")


def _collection(request, collection: str) -> dict:
    items = reverse("ogcapi-items", args=[collection])
    document = {
        "id": collection,
        "title": ogcapi.collection_title(collection),
        "itemType": "feature",
        "crs": [crs.uri for crs in crs_module.supported()],
        "storageCrs": crs_module.CRS84_URI,
        "links": [
            *_self_links(request, "ogcapi-collection", collection),
            {"href": request.build_absolute_uri(f"{items}?f=json"), "rel": "items", "type": GEOJSON,
             "title": _("Items")},
            {"href": request.build_absolute_uri(f"{items}?f=html"), "rel": "items", "type": HTML,
             "title": _("Items as HTML")},
            {"href": _url(request, "ogcapi-queryables", collection, f="json"), "rel": QUERYABLES_REL,
             "type": SCHEMA, "title": _("Queryable properties")},
            {"href": _url(request, "ogcapi-queryables", collection, f="html"), "rel": QUERYABLES_REL,
             "type": HTML, "title": _("Queryable properties as HTML")},
        ],
    }  # fmt: skip
    extent = ogcapi.spatial_extent()
    if extent is not None:
        document["extent"] = {"spatial": {"bbox": [extent], "crs": crs_module.CRS84_URI}}
    return document


@ogc_endpoint
def collections(request, user, output: str):
    document = {
        "links": _self_links(request, "ogcapi-collections"),
        "collections": [_collection(request, name) for name in ogcapi.collections_readable(user)],
    }
    return _answer(request, output, document, "collections.html")


@ogc_endpoint
def collection(request, user, output: str, collection: str):
    if not ogcapi.collection_readable(collection, user):
        return _not_found()
    document = _collection(request, collection)
    if output == "html":
        # The collections page, with this one alone.
        document = {"links": document["links"], "collections": [document]}
    return _answer(request, output, document, "collections.html")


@ogc_endpoint
def queryables(request, user, output: str, collection: str):
    """The properties that filter the items (`?name=value`), as a JSON Schema (OGC API – Features Part 3)."""
    if not ogcapi.collection_readable(collection, user):
        return _not_found()
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _url(request, "ogcapi-queryables", collection),
        "type": "object",
        "title": ogcapi.collection_title(collection),
        "properties": {**ogcapi.queryables(collection), "geometry": ogcapi.geometry_queryable(collection)},
        "additionalProperties": False,
    }
    if output == "html":
        rows = [_queryable_row(name, schema) for name, schema in document["properties"].items()]
        return render(request, "gis/ogcapi/queryables.html", {"document": document, "rows": rows})
    return JsonResponse(document, content_type=SCHEMA, json_dumps_params={"ensure_ascii": False})


def _queryable_row(name: str, schema: dict) -> dict:
    """A queryable as a line of the HTML table: its type (and format), and its values if listed."""
    values = schema.get("enum") or schema.get("items", {}).get("enum") or []
    kind = " ".join(part for part in (schema.get("type", ""), schema.get("format", "")) if part)
    if "items" in schema:
        kind = f"{kind} ({schema['items']['type']})"
    return {"name": name, "title": schema.get("title", ""), "type": kind, "values": ", ".join(values)}


def _page_url(request, collection: str, offset: int) -> str:
    query = request.GET.copy()
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{reverse('ogcapi-items', args=[collection])}?{query.urlencode()}")


def _items_html(request, collection: str, features: list[str], head: dict) -> HttpResponse:
    """A table of the features: their properties in the collection's order, and geometry type."""
    names = list(ogcapi.PROPERTIES[collection])
    rows = []
    for feature in map(json.loads, features):
        geometry = feature["geometry"] or {}
        rows.append({"id": feature["id"], "values": [feature["properties"][name] for name in names],
                     "geometry": geometry.get("type", "")})  # fmt: skip
    document = {**head, "title": ogcapi.collection_title(collection), "collection": collection,
                "properties": names, "rows": rows}  # fmt: skip
    return render(request, "gis/ogcapi/items.html", {"document": document})


@ogc_endpoint
def items(request, user, output: str, collection: str):
    """`bbox` (in `bbox-crs`), `datetime` (on the record type's date, read as its period), the
    queryable properties, `limit` and `offset`, `crs`; `next` and `prev` links."""
    if not ogcapi.collection_readable(collection, user):
        return _not_found()
    unknown = sorted(set(request.GET) - ITEMS_PARAMETERS - set(ogcapi.queryables(collection)))
    if unknown:
        return _error(_("Unknown parameter: %(names)s.") % {"names": ", ".join(unknown)})
    try:
        limit = ogcapi.parse_limit(request.GET.get("limit"))
        offset = ogcapi.parse_offset(request.GET.get("offset"))
        crs = crs_module.parse(request.GET.get("crs"))
        box_crs = crs_module.parse(request.GET.get("bbox-crs"), "bbox-crs")
        box = ogcapi.parse_box(request.GET["bbox"], box_crs) if "bbox" in request.GET else None
        properties = ogcapi.parse_property_filters(collection, request.GET)
        interval = None
        if "datetime" in request.GET:
            if not ogcapi.collection_has_dates(collection):
                return _error(_("This collection has no dates."))
            interval = ogcapi.parse_interval(request.GET["datetime"])
    except ValidationError as error:
        return _error(" ".join(error.messages))
    page = ogcapi.items_page(
        collection, user, box=box, interval=interval, properties=properties, limit=limit, offset=offset, crs=crs
    )
    links = [
        {"href": _page_url(request, collection, offset), "rel": "self",
         "type": HTML if output == "html" else GEOJSON, "title": _("This page")},
        {"href": request.build_absolute_uri(reverse("ogcapi-collection", args=[collection])), "rel": "collection",
         "type": JSON, "title": ogcapi.collection_title(collection)},
    ]  # fmt: skip
    page_type = HTML if output == "html" else GEOJSON
    if page.has_next:
        links.append({"href": _page_url(request, collection, offset + limit), "rel": "next",
                      "type": page_type, "title": _("Next page")})  # fmt: skip
    if offset > 0:
        links.append({"href": _page_url(request, collection, max(offset - limit, 0)), "rel": "prev",
                      "type": page_type, "title": _("Previous page")})  # fmt: skip
    head = {"type": "FeatureCollection", "numberMatched": page.matched, "numberReturned": page.returned,
            "links": links}  # fmt: skip
    if output == "html":
        return _items_html(request, collection, page.features, {**head, "links": links})
    # Features are already JSON (their geometry straight from PostGIS): joined, not parsed again.
    body = f'{json.dumps(head, ensure_ascii=False)[:-1]},"features":[{",".join(page.features)}]}}'
    return _with_crs(HttpResponse(body, content_type=GEOJSON), crs)


def _with_crs(response: HttpResponse, crs: crs_module.Crs) -> HttpResponse:
    # OGC API – Features Part 2, /req/crs/ogc-crs-header.
    response["Content-Crs"] = f"<{crs.uri}>"
    return response


@ogc_endpoint
def item(request, user, output: str, collection: str, feature_id: str):
    if not ogcapi.collection_readable(collection, user) or not feature_id.isdigit():
        return _not_found()
    unknown = sorted(set(request.GET) - {"f", "crs"})
    if unknown:
        return _error(_("Unknown parameter: %(names)s.") % {"names": ", ".join(unknown)})
    try:
        crs = crs_module.parse(request.GET.get("crs"))
    except ValidationError as error:
        return _error(" ".join(error.messages))
    feature = ogcapi.item_feature(collection, user, int(feature_id), crs)
    if feature is None:
        return _not_found()
    links = [
        *_self_links(request, "ogcapi-item", collection, feature_id, json_type=GEOJSON),
        {"href": request.build_absolute_uri(reverse("ogcapi-collection", args=[collection])), "rel": "collection",
         "type": JSON, "title": ogcapi.collection_title(collection)},
    ]  # fmt: skip
    if output == "html":
        return _items_html(request, collection, [feature], {"links": links})
    body = f'{feature[:-1]},"links":{json.dumps(links, ensure_ascii=False)}}}'
    return _with_crs(HttpResponse(body, content_type=GEOJSON), crs)
