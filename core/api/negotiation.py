"""Content negotiation where an explicit `?format=` wins over the `Accept` header.

GIS clients (GDAL, hence QGIS) send their own `Accept` header, e.g. `application/json`, with a URL
that asks `?format=geojson`: the URL is the user's choice and is what they get. Without a format,
the `Accept` header decides as usual.
"""

from django.http import Http404
from rest_framework.negotiation import DefaultContentNegotiation


class ExplicitFormatNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        requested = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if requested:
            for renderer in renderers:
                if renderer.format == requested:
                    return renderer, renderer.media_type
            raise Http404
        return super().select_renderer(request, renderers, format_suffix)
