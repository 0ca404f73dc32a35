"""What drf-spectacular cannot see by itself: error shapes, ETags, GeoJSON documents.

The description is also the input of partners' client generators (openapi-python-client, tested in
tests/api/test_generated_client.py): every shape here is one a generator can turn into a typed model.
"""

import copy

GEOJSON = "application/geo+json"
SCHEMAS = "#/components/schemas/"

# A position is longitude, latitude (and an optional height), as GeoJSON (RFC 7946, 3.1.1) says.
POSITION = {
    "type": "array",
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 3,
    "description": "Longitude, latitude in WGS84 degrees.",
}
# A closed ring: at least four positions, the last one repeating the first.
RING = {"type": "array", "items": POSITION, "minItems": 4}
POLYGON_COORDINATES = {"type": "array", "items": RING, "minItems": 1}
MOPTI_SQUARE = [[[-4.19, 14.49], [-4.18, 14.49], [-4.18, 14.5], [-4.19, 14.5], [-4.19, 14.49]]]


def _geometry(kind: str, coordinates: dict, example: list, description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "properties": {"type": {"type": "string", "enum": [kind]}, "coordinates": coordinates},
        "required": ["type", "coordinates"],
        "example": {"type": kind, "coordinates": example},
    }


GEOMETRIES = {
    "Point": _geometry("Point", POSITION, [-4.19, 14.49], "A GeoJSON point (RFC 7946) in WGS84."),
    "Polygon": _geometry(
        "Polygon", POLYGON_COORDINATES, MOPTI_SQUARE,
        "A GeoJSON polygon (RFC 7946) in WGS84: an outer ring, then any holes.",
    ),
    "MultiPolygon": _geometry(
        "MultiPolygon", {"type": "array", "items": POLYGON_COORDINATES, "minItems": 1}, [MOPTI_SQUARE],
        "A GeoJSON multipolygon (RFC 7946) in WGS84: one polygon per part.",
    ),
}  # fmt: skip

COMPONENTS = {
    "ErrorDetail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "description": "401, 403, 404, 405, 409, 412, 413, 415, 428 and 429 answers.",
    },
    "ValidationErrors": {
        "type": "object",
        "additionalProperties": {},
        "description": '400: messages per field, e.g. {"location": ["The location lies outside the country."]}; '
        'nested records by position: {"casualties": {"1": {"age": ["..."]}}}; rules across fields under '
        '"non_field_errors".',
    },
    "GeoJSONFeature": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            # _geojson_geometries names the geometry types records are answered with.
            "geometry": {"type": "object", "nullable": True},
            "properties": {"type": "object", "additionalProperties": {}},
        },
        "required": ["type", "geometry", "properties"],
    },
    "GeoJSONFeatureCollection": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "count": {"type": "integer", "nullable": True},
            "next": {"type": "string", "nullable": True},
            "previous": {"type": "string", "nullable": True},
            "features": {"type": "array", "items": {"$ref": f"{SCHEMAS}GeoJSONFeature"}},
        },
        "required": ["type", "features"],
    },
}

ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The record's version, for If-Match."}}
LOCATION_HEADER = {"Location": {"schema": {"type": "string", "format": "uri"}, "description": "The new record."}}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def _error(description: str, ref: str = "ErrorDetail", headers: dict | None = None) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"{SCHEMAS}{ref}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def add_common_responses(result, generator, request, public):
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(copy.deepcopy(COMPONENTS))
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", _error("No or invalid credentials."))
            responses.setdefault("429", _error("Too many requests.", headers=RETRY_AFTER))
            # core.middleware.database_unavailable: PostgreSQL restarting or out of reach.
            responses.setdefault("503", _error("The database did not answer: send the request again.",
                                               headers=RETRY_AFTER))  # fmt: skip
            if method in ("post", "put", "patch") or "statistics" in path or method == "get":
                responses.setdefault("400", _error("Invalid input or filter.", "ValidationErrors"))
            if "/auth/token/" not in path or method != "post":
                responses.setdefault("403", _error("Not allowed for your role or organisation."))
            if "{" in path:
                responses.setdefault("404", _error("No such record, or not visible to you."))
            elif method == "get" and "statistics" not in path and "/auth/" not in path:
                responses.setdefault("404", _error("No such page or cursor."))
            if (method == "post" and "{" not in path and "/auth/" not in path) or "/external/" in path:
                responses.setdefault("409", _error("A deleted or merged record holds this external_id."))
            if "requestBody" in operation:
                responses.setdefault("415", _error("The body is not JSON: send it as application/json."))
                responses.setdefault("413", _error("The body is larger than the server accepts."))
            if path.endswith("/approve/"):
                responses.setdefault("412", _error("The record changed since the version you approve."))
            if method in ("put", "patch", "delete") and "{" in path:
                responses.setdefault("412", _error("If-Match does not match the current version."))
                responses.setdefault("428", _error("If-Match is required: someone else changed the record last."))
            if method == "post" and "201" in responses and "200" not in responses and "/auth/" not in path:
                # A retried POST with the same external_id answers 200 with the first record.
                responses["200"] = {**responses["201"], "description": "Already created with this external_id."}
            for response in responses.values():
                content = response.get("content", {}) if isinstance(response, dict) else {}
                if GEOJSON in content:
                    ref = content[GEOJSON].get("schema", {}).get("$ref", "")
                    is_list = "Paginated" in ref or content[GEOJSON].get("schema", {}).get("type") == "array"
                    target = "GeoJSONFeatureCollection" if is_list else "GeoJSONFeature"
                    content[GEOJSON]["schema"] = {"$ref": f"{SCHEMAS}{target}"}
    _json_bodies(result)
    _record_answers(result)
    _geojson_geometries(result["components"]["schemas"])
    _plain_enums(result)
    _flat_query_lists(result)
    return result


def _json_bodies(result) -> None:
    """One media type per request body: JSON, which every view parses.

    A view that also parses a form (the token endpoint, for `curl --data-urlencode`) says so in words:
    offered both, openapi-python-client 0.29 writes a function that sets a JSON and a form body at once
    and does not import (`Unset` undefined).
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            others = sorted(media for media in content if media != "application/json")
            if "application/json" not in content or not others:
                continue
            for media in others:
                del content[media]
            also = f"Also accepts the body as {', '.join(others)}."
            operation["description"] = f"{operation['description']}\n\n{also}" if operation.get("description") else also


def _json_ref(response: dict) -> str | None:
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def _record_answers(result) -> None:
    """What every record type's views (core.api.views.RecordViewSet) answer besides the record itself.

    A record type is recognised by its detail read taking If-None-Match: those views send the record's
    ETag with every answer that is one record of their type (reads, writes, upserts and transitions),
    a Location with every creation, and 304 to a fresh If-None-Match. Reference lists have none of it.
    """
    paths = result.get("paths", {})
    for detail_path, operations in paths.items():
        detail = operations.get("get", {})
        if not detail_path.endswith("/{id}/") or not _has_header(detail, "If-None-Match"):
            continue
        collection = detail_path.removesuffix("{id}/")
        record_response = detail.get("responses", {}).get("200", {})
        record_ref = _json_ref(record_response)
        if record_ref is None:
            continue
        detail["responses"]["304"] = {"description": "Not modified (If-None-Match).", "headers": dict(ETAG_HEADER)}
        upsert = f"{collection}external/"
        for path, path_operations in paths.items():
            if path != collection and not path.startswith((f"{collection}{{id}}/", upsert)):
                continue
            for operation in path_operations.values():
                responses = operation.get("responses", {})
                if path.startswith(upsert):
                    # The upsert answers the record it created (201) or updated (200), like a create or an update.
                    for code, description in (("200", "Updated."), ("201", "Created.")):
                        content = copy.deepcopy(record_response["content"])
                        responses[code] = {"description": description, "content": content}
                for code in ("200", "201"):
                    if code in responses and _json_ref(responses[code]) == record_ref:
                        responses[code].setdefault("headers", {}).update(ETAG_HEADER)
                        if code == "201":
                            responses[code]["headers"].update(LOCATION_HEADER)


def _has_header(operation: dict, name: str) -> bool:
    return any(p.get("in") == "header" and p.get("name") == name for p in operation.get("parameters", []))


def _geojson_geometries(schemas: dict) -> None:
    """Geometry fields as shared GeoJSON components (GeoJSONPoint, GeoJSONMultiPolygon...).

    drf-spectacular describes each geometry field inline, with neither member required and an example
    in India: generators then make one optional-everything class per field. A polygon field also
    accepts a single Polygon on input (core.services.apply_fields stores it as a one-part multipolygon).
    """
    used, answered = set(), set()
    for name, component in schemas.items():
        is_request = name.endswith("Request")
        for field, field_schema in component.get("properties", {}).items():
            kind = _geometry_kind(field_schema)
            if kind is None:
                continue
            accepted = ["Polygon", "MultiPolygon"] if is_request and kind == "MultiPolygon" else [kind]
            used.update(accepted)
            if not is_request:
                answered.add(kind)
            refs = [{"$ref": f"{SCHEMAS}GeoJSON{k}"} for k in accepted]
            keep = {k: v for k, v in field_schema.items() if k in ("title", "description", "readOnly", "nullable")}
            component["properties"][field] = {"oneOf" if len(refs) > 1 else "allOf": refs, **keep}
    for kind in sorted(used):
        schemas[f"GeoJSON{kind}"] = copy.deepcopy(GEOMETRIES[kind])
    if answered:
        # A feature carries the geometry of its record: one of the kinds records are answered with.
        geometry = {"oneOf": [{"$ref": f"{SCHEMAS}GeoJSON{k}"} for k in sorted(answered)], "nullable": True}
        schemas["GeoJSONFeature"]["properties"]["geometry"] = geometry


def _geometry_kind(schema: dict) -> str | None:
    properties = schema.get("properties", {})
    kinds = properties.get("type", {}).get("enum", []) if set(properties) == {"type", "coordinates"} else []
    return kinds[0] if len(kinds) == 1 and kinds[0] in GEOMETRIES else None


def _plain_enums(result) -> None:
    """Choices a field may leave blank or null, in the shapes generators turn into plain types.

    drf-spectacular writes them as oneOf [XEnum, BlankEnum, NullEnum] with BlankEnum and NullEnum
    untyped: a null member becomes `nullable`, and the blank choice a typed string enum.
    """
    schemas = result["components"]["schemas"]
    null_names = {name for name, schema in schemas.items() if schema in ({"enum": [None]}, {"type": "null"})}
    for name in null_names:
        del schemas[name]
    for name, schema in schemas.items():
        if schema.get("enum") == [""]:
            # A name for the member, rather than the generators' VALUE_0.
            schemas[name] = {"type": "string", "enum": [""], "x-enum-varnames": ["BLANK"]}
    null_refs = {f"{SCHEMAS}{name}" for name in null_names}
    for holder in _walk(result):
        members = holder.get("oneOf")
        if not members or not any(m.get("$ref") in null_refs for m in members):
            continue
        members = [m for m in members if m.get("$ref") not in null_refs]
        holder.pop("oneOf")
        holder["oneOf" if len(members) > 1 else "allOf"] = members
        holder["nullable"] = True


def _flat_query_lists(result) -> None:
    """A repeated query parameter (?organisation=HI&organisation=DRC) is a list of strings, never a list
    of lists: drf-spectacular nests a multiple-choice filter whose field is already described as a list."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "array":
                    while schema.get("items", {}).get("type") == "array":
                        schema["items"] = schema["items"]["items"]


def _walk(node):
    """Every mapping in the document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
