"""What drf-spectacular cannot see by itself: error shapes, ETags, GeoJSON documents."""

GEOJSON = "application/geo+json"

COMPONENTS = {
    "ErrorDetail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "description": "401, 403, 404, 405, 412, 428 and 429 answers.",
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
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/GeoJSONFeature"}},
        },
        "required": ["type", "features"],
    },
}

ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The record's version, for If-Match."}}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def _error(description: str, ref: str = "ErrorDetail", headers: dict | None = None) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def add_common_responses(result, generator, request, public):
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", _error("No or invalid credentials."))
            responses.setdefault("429", _error("Too many requests.", headers=RETRY_AFTER))
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
            if method in ("put", "patch", "delete") and "{" in path:
                responses.setdefault("412", _error("If-Match does not match the current version."))
                responses.setdefault("428", _error("If-Match is required: someone else changed the record last."))
            if method == "get" and path.endswith("{id}/"):
                responses.setdefault("304", {"description": "Not modified (If-None-Match)."})
            if method == "post" and "201" in responses and "200" not in responses and "/auth/" not in path:
                # A retried POST with the same external_id answers 200 with the first record.
                responses["200"] = {**responses["201"], "description": "Already created with this external_id."}
            for code, response in responses.items():
                content = response.get("content", {}) if isinstance(response, dict) else {}
                if GEOJSON in content:
                    ref = content[GEOJSON].get("schema", {}).get("$ref", "")
                    is_list = "Paginated" in ref or content[GEOJSON].get("schema", {}).get("type") == "array"
                    target = "GeoJSONFeatureCollection" if is_list else "GeoJSONFeature"
                    content[GEOJSON]["schema"] = {"$ref": f"#/components/schemas/{target}"}
                if code in ("200", "201") and "content" in response and _is_record_operation(path, method):
                    response.setdefault("headers", {}).update(ETAG_HEADER)
    return result


def _is_record_operation(path: str, method: str) -> bool:
    record_paths = ("/external/",)
    if any(p in path for p in record_paths):
        return True
    return ("{id}/" in path and path.endswith("{id}/")) or (method == "post" and path.count("/") == 4)
