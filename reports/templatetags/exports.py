"""`{% export_control %}`: the Export control of a record list page (core.pages.RecordListView),
which posts the list's query string to `/exports/new/` (reports.views.ExportRequestView)."""

from django import template

from core import registry
from reports.exports import GEO_FORMATS, LIST_FORMATS
from reports.forms import FORMAT_LABELS
from reports.selectors import exportable_resources

register = template.Library()


@register.inclusion_tag("reports/_export_control.html", takes_context=True)
def export_control(context) -> dict:
    """The formats this list exports to (GeoJSON and GeoPackage only for types with a geometry);
    nothing for a list that cannot be exported."""
    view = context.get("view")
    request = context.get("request")
    model = getattr(view, "model", None)
    try:
        entry = registry.get(model) if model is not None else None
    except LookupError:
        entry = None
    if entry is None or request is None or entry.slug not in exportable_resources():
        return {"formats": []}
    formats = [code for code in LIST_FORMATS if code not in GEO_FORMATS or entry.geometry_field]
    return {
        "formats": [(code, FORMAT_LABELS[code]) for code in formats],
        "list": request.path,
        "query": request.GET.urlencode(),
        "csrf_token": context.get("csrf_token"),
    }
