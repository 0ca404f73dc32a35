"""The dashboard at `/`: headline figures first, then each chart with its table and CSV, for any
logged-in user, computed by the statistics the API answers (dashboard.selectors)."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from core.policy import may_read_statistics
from dashboard.forms import DashboardFilterForm, current_regions
from dashboard.selectors import (
    FIGURE_SLUGS,
    Figure,
    InvalidFilters,
    cached_dashboard_figures,
    figures_freshness,
)
from reference.models import area_name

DECIMALS = {"int": 0, "km2": 2, "percent": 1}


def _number(value, kind: str) -> str:
    if value is None:
        return "–"
    text = number_format(value, DECIMALS[kind], use_l10n=True, force_grouping=True)
    return _("%(value)s%%") % {"value": text} if kind == "percent" else text


def _filter_form(request: HttpRequest):
    regions = current_regions()
    form = DashboardFilterForm(request.GET or None, regions=regions)
    return form, {area.pcode: area_name(area) for area in regions}


def _table(figure: Figure, query: str) -> dict:
    """The figure as the page shows it: formatted cells, chart series, CSV address."""
    columns = [column for column in figure.columns if column.kind != "code"]
    numeric = [column for column in columns if column.kind != "text"]
    rows = figure.rows[-figure.latest :] if figure.latest else figure.rows
    return {
        "slug": figure.slug,
        "title": figure.title,
        "note": figure.note,
        "headers": [column.label for column in columns],
        "rows": [[row[columns[0].key], *(_number(row[column.key], column.kind) for column in numeric)] for row in rows],
        "csv_url": reverse("dashboard-csv", args=[figure.slug]) + (f"?{query}" if query else ""),
        "chart": {
            "labels": [str(row[columns[0].key]) for row in rows],
            "series": [
                {"label": str(column.label), "data": [row[column.key] for row in rows]}
                for column in numeric
                if column.key in figure.series
            ],
            "stacked": figure.stacked,
            "horizontal": figure.horizontal,
            "decimals": max(DECIMALS[column.kind] for column in numeric if column.key in figure.series),
        },
    }


def _cards(figures: dict[str, Figure]) -> list[dict]:
    """What a director asks first: how much land is still contaminated, how much was released,
    how many people were hurt and who, what was destroyed, whom risk education and assistance reached."""
    contamination = figures["contamination-by-region"].totals
    released = figures["land-release"].totals
    casualties = figures["casualties-by-year"].totals
    items = figures["items-destroyed"]
    improvised_ap = sum(row["destroyed"] for row in items.rows if row["category"] == "improvised_ap_mine")
    education = figures["risk-education"].totals
    assistance = figures["victim-assistance"].totals
    return [
        {
            "figure": "contamination-by-region",
            "label": _("Remaining contaminated area"),
            "value": _("%(area)s km²") % {"area": _number(contamination["remaining"], "km2")},
            "detail": ngettext(
                "in %(count)s hazardous area", "in %(count)s hazardous areas", contamination["count"] or 0
            )
            % {"count": _number(contamination["count"], "int")},
        },
        {
            "figure": "land-release",
            "label": _("Land released"),
            "value": _("%(area)s km²") % {"area": _number(released["released"], "km2")},
            "detail": _("cancelled %(cancelled)s · reduced %(reduced)s · cleared %(cleared)s")
            % {key: _number(released[key], "km2") for key in ("cancelled", "reduced", "cleared")},
        },
        {
            "figure": "casualties-by-year",
            "label": _("Casualties"),
            "value": _number(casualties["total"], "int"),
            "detail": _("killed: %(killed)s · injured: %(injured)s")
            % {"killed": _number(casualties["killed"], "int"), "injured": _number(casualties["injured"], "int")},
        },
        {
            "figure": "casualties-by-sex-and-age",
            "label": _("Civilian share of casualties"),
            "value": _number(casualties["civilian_share"], "percent"),
            "detail": _("children: %(children)s (%(share)s)")
            % {
                "children": _number(casualties["children"], "int"),
                "share": _number(casualties["children_share"], "percent"),
            },
        },
        {
            "figure": "items-destroyed",
            "label": _("Explosive ordnance destroyed"),
            "value": _number(items.totals["destroyed"], "int"),
            "detail": _("of which improvised anti-personnel mines: %(count)s")
            % {"count": _number(improvised_ap, "int")},
        },
        {
            "figure": "risk-education",
            "label": _("People reached by risk education"),
            "value": _number(education["beneficiaries"], "int"),
            "detail": ngettext("in %(count)s session", "in %(count)s sessions", education["count"] or 0)
            % {"count": _number(education["count"], "int")},
        },
        {
            "figure": "victim-assistance",
            "label": _("Victim assistance services"),
            "value": _number(assistance["count"], "int"),
            "detail": _("given to survivors"),
        },
    ]


def _selection(form: DashboardFilterForm, filters: dict, regions: dict) -> list[str]:
    """The filters in words, for the line under the title."""
    words = [_("Approved data")]
    if "date_after" in filters or "date_before" in filters:
        after, before = form.cleaned_data.get("date_after"), form.cleaned_data.get("date_before")
        year = form.cleaned_data.get("year")
        if year is not None:
            words.append(str(year))
        elif after and before:
            words.append(_("%(first)s to %(last)s") % {"first": date_format(after), "last": date_format(before)})
        elif after:
            words.append(_("from %(first)s") % {"first": date_format(after)})
        else:
            words.append(_("until %(last)s") % {"last": date_format(before)})
    else:
        words.append(_("all years"))
    words.append(regions.get(filters.get("admin_area"), _("whole country")))
    if filters.get("organisation"):
        words.append(filters["organisation"])
    return words


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form, regions = _filter_form(request)
    allowed = may_read_statistics(request.user)
    context = {"form": form, "allowed": allowed, "figures": [], "cards": [], "filters_open": form.is_bound}
    if allowed and (not form.is_bound or form.is_valid()):
        filters = form.filters()
        try:
            figures = cached_dashboard_figures(request=request, filters=filters, regions=regions)
        except InvalidFilters as exc:
            # The form checks what the statistics' filter sets check; should one still refuse, say so.
            form.add_error(None, "; ".join(str(message) for messages in exc.args[0].values() for message in messages))
            return render(request, "dashboard/home.html", context)
        query = urlencode(filters)
        tables = [_table(figure, query) for figure in figures.values()]
        context.update(
            figures=tables,
            charts={table["slug"]: table["chart"] for table in tables},
            cards=_cards(figures),
            selection=_selection(form, filters, regions),
        )
        context["as_of"], context["up_to_date"] = figures_freshness(figures)
    return render(request, "dashboard/home.html", context)


@login_required
@require_GET
def figure_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """One figure as CSV, with the page's filters and scoping; numbers unformatted, areas in km²."""
    if slug not in FIGURE_SLUGS:
        raise Http404
    text = "text/plain; charset=utf-8"
    if not may_read_statistics(request.user):
        return HttpResponse(_("Your role does not read statistics."), status=403, content_type=text)
    form, regions = _filter_form(request)
    if form.is_bound and not form.is_valid():
        errors = [f"{name}: {' '.join(messages)}" for name, messages in form.errors.items()]
        return HttpResponse("\n".join(errors), status=400, content_type=text)
    try:
        figure = cached_dashboard_figures(request=request, filters=form.filters(), regions=regions)[slug]
    except InvalidFilters as exc:
        return HttpResponse(str(exc), status=400, content_type=text)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}.csv"'
    # The byte order mark lets spreadsheet programs read the accents as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(column.label) for column in figure.columns])
    for row in figure.rows:
        writer.writerow(["" if row[column.key] is None else str(row[column.key]) for column in figure.columns])
    return response
