"""A list of spatial records as a GeoJSON FeatureCollection (`?format=geojson`)."""

from rest_framework.renderers import JSONRenderer


class GeoJSONRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        geometry_field = getattr(view, "geometry_field", None)
        response = (renderer_context or {}).get("response")
        if geometry_field and response is not None and response.status_code < 400:
            data = self._as_geojson(data, geometry_field)
        return super().render(data, accepted_media_type, renderer_context)

    def _feature(self, record: dict, geometry_field: str) -> dict:
        properties = dict(record)
        geometry = properties.pop(geometry_field, None)
        return {"type": "Feature", "id": properties.get("id"), "geometry": geometry, "properties": properties}

    def _as_geojson(self, data, geometry_field: str):
        if isinstance(data, dict) and "results" in data:
            links = {key: value for key, value in data.items() if key != "results"}
            return {
                "type": "FeatureCollection",
                **links,
                "features": [self._feature(r, geometry_field) for r in data["results"]],
            }
        if isinstance(data, list):
            return {"type": "FeatureCollection", "features": [self._feature(r, geometry_field) for r in data]}
        if isinstance(data, dict) and geometry_field in data:
            return self._feature(data, geometry_field)
        return data


class GeoJSONErrorsAsJSON:
    """Errors are JSON documents, whatever format the client asked for the data."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400 and isinstance(getattr(response, "accepted_renderer", None), GeoJSONRenderer):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response
