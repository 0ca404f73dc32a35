"""The shape every statistics endpoint shares (`/api/v1/statistics/<records>/?group_by=...`).

A subclass names its records, groups, measures and filters; reading the request, the right
to read statistics, the approved-only default and the authority's `include_submitted`, the
scoping by `core.selectors` and the answer are the same for all of them.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import is_authority
from core.policy import may_read_statistics
from core.selectors import records_visible
from core.statistics import ADMIN_AREA_LEVELS, AreaGroup, grouped_statistics, measure_totals, summary_reader


class StatisticsView(APIView):
    """Subclasses set `model`, `groups` (name: expression, `AreaGroup` or None for the record's
    own field), `measures` (name: aggregate; `count` first), `filterset_class` and `filters` (the
    names of that filter set a request may use), and may override `records()` and `grouping()`."""

    model = None
    groups: dict = {}
    measures: dict = {}
    filterset_class = None
    filters: tuple[str, ...] = ()
    # How each measure is typed in the description: integers unless said otherwise.
    float_measures: tuple[str, ...] = ()
    # "totals" (every measure summed) is given when more than a count is measured.

    def records(self):
        """The records the user may read (core.selectors), before filters."""
        return records_visible(self.model.objects.all(), self.request.user)

    def grouping(self, group_by: list[str]) -> list[str]:
        """The groups as the rows carry them: a month comes with its year, so that a record known
        only by its year counts in that year under `month: null` (core.dates.month_expression)."""
        if "month" in group_by and "year" in self.groups and "year" not in group_by:
            at = group_by.index("month")
            return [*group_by[:at], "year", *group_by[at:]]
        return group_by

    def statistics(self, queryset, *, group_by, include_submitted, admin_area_level) -> list[dict]:
        return grouped_statistics(
            queryset,
            groups=self.groups,
            group_by=group_by,
            measures=self.measures,
            include_submitted=include_submitted,
            admin_area_level=admin_area_level,
            via=self.via,
        )

    @property
    def via(self) -> str:
        from core import registry

        return registry.get(self.model).owner_path

    # --- the request -----------------------------------------------------------------------

    def _group_by(self, request) -> list[str]:
        raw = request.query_params.get("group_by", "")
        # Asked twice, grouped once.
        group_by = list(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
        unknown = [name for name in group_by if name not in self.groups]
        if not group_by or unknown:
            raise ValidationError(
                {"group_by": [_("Group by one or more of: %(names)s.") % {"names": ", ".join(self.groups)}]}
            )
        return group_by

    def _admin_area_level(self, request, group_by: list[str]) -> int | None:
        raw = request.query_params.get("admin_area_level")
        if raw is None or raw == "":
            return None
        if raw not in {str(level) for level in ADMIN_AREA_LEVELS}:
            raise ValidationError({"admin_area_level": [_("Give an administrative level: 1, 2 or 3.")]})
        if "admin_area" not in group_by:
            # A level that would change nothing is a mistake in the request: say so.
            raise ValidationError({"admin_area_level": [_("Group by admin_area to choose its level.")]})
        return int(raw)

    def get(self, request):
        group_by = self._group_by(request)
        if not may_read_statistics(request.user):
            raise PermissionDenied(_("Your role does not read statistics."))
        admin_area_level = self._admin_area_level(request, group_by)
        group_by = self.grouping(group_by)
        include_submitted = request.query_params.get("include_submitted", "").lower() in ("1", "true", "yes")
        if include_submitted and not is_authority(request.user):
            raise PermissionDenied(_("Only the authority counts records that are not approved yet."))
        # A copy of the query string keeps repeated parameters (category=a&category=b).
        data = request.query_params.copy()
        for name in list(data):
            if name not in self.filters:
                del data[name]
        filterset = self.filterset_class(data=data, queryset=self.records(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        results, freshness = self.answer(
            filterset, group_by=group_by, include_submitted=include_submitted, admin_area_level=admin_area_level
        )
        body = {
            "group_by": group_by,
            "admin_area_level": admin_area_level,
            "include_submitted": include_submitted,
            "total": sum(row["count"] for row in results),
            **freshness,
        }
        if len(self.measures) > 1:
            body["totals"] = measure_totals(results, list(self.measures))
        body["results"] = results
        return Response(body)

    def answer(self, filterset, *, group_by, include_submitted, admin_area_level, measures=None):
        """The rows for a valid filter set, and how fresh they are: from the record type's summary
        table when it can answer (reports.summaries), else from the records themselves.
        `measures` adds to the view's own measures (the records then answer)."""
        reader = summary_reader(self.model)
        if reader is not None:
            summary = reader(
                self,
                filterset,
                group_by=group_by,
                include_submitted=include_submitted,
                admin_area_level=admin_area_level,
                measures=measures,
            )
            if summary is not None:
                rows, freshness = summary
                return rows, {
                    "computed_from": freshness.computed_from,
                    "as_of": freshness.as_of,
                    "up_to_date": freshness.up_to_date,
                }
        as_of = timezone.now()
        if measures:
            rows = grouped_statistics(
                filterset.qs,
                groups=self.groups,
                group_by=group_by,
                measures={**self.measures, **measures},
                include_submitted=include_submitted,
                admin_area_level=admin_area_level,
                via=self.via,
            )
        else:
            rows = self.statistics(
                filterset.qs, group_by=group_by, include_submitted=include_submitted, admin_area_level=admin_area_level
            )
        return rows, {"computed_from": "records", "as_of": as_of, "up_to_date": True}


def described(name: str, summary: str, group_types: dict | None = None):
    """Class decorator: the OpenAPI description of a statistics view, its parameters and the typed
    rows it answers, so that generated clients get a class per row rather than a dictionary.
    `group_types` types the groups that are not text (`year`)."""

    def decorate(view: type[StatisticsView]) -> type[StatisticsView]:
        # The inherited `get` gets its own copy for this view's description (drf-spectacular).
        return extend_schema_view(get=_description(view, name, summary, group_types or {}))(view)

    return decorate


def _description(view: type[StatisticsView], name: str, summary: str, group_types: dict):
    row_fields = {}
    for group in view.groups:
        field = group_types.get(group)
        if field is None:
            field = serializers.CharField(required=False, allow_null=True)
        row_fields[group] = field
    for measure in view.measures:
        kind = serializers.FloatField if measure in view.float_measures else serializers.IntegerField
        # Every row carries every measure; a sum of nothing known (no remaining area yet) is null.
        row_fields[measure] = kind(allow_null=measure in view.float_measures)
    row = inline_serializer(f"{name}Row", row_fields)
    answer = {
        "group_by": serializers.ListField(child=serializers.CharField()),
        "admin_area_level": serializers.IntegerField(allow_null=True),
        "include_submitted": serializers.BooleanField(),
        "total": serializers.IntegerField(help_text="Records counted."),
        "computed_from": serializers.ChoiceField(
            choices=["summary", "records"],
            help_text="`summary`: read from the summary tables, refreshed after each approval and on a schedule; "
            "`records`: counted in the records themselves (filters or counts the summaries do not hold).",
        ),
        "as_of": serializers.DateTimeField(help_text="The figures hold every change committed before this time."),
        "up_to_date": serializers.BooleanField(
            help_text="False while records changed since the summary was refreshed (a refresh is on its way)."
        ),
        "results": serializers.ListField(child=row),
    }
    if len(view.measures) > 1:
        answer["totals"] = inline_serializer(
            f"{name}Totals",
            {
                measure: (serializers.FloatField if measure in view.float_measures else serializers.IntegerField)()
                for measure in view.measures
            },
        )
    area_note = " `admin_area` is a P-code." if any(isinstance(g, AreaGroup) for g in view.groups.values()) else ""
    return extend_schema(
        summary=summary,
        parameters=[
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, required=True,
                description=f"Comma-separated, among: {', '.join(view.groups)}.{area_note}",
            ),
            OpenApiParameter(
                "admin_area_level", OpenApiTypes.INT, enum=list(ADMIN_AREA_LEVELS),
                description="With group_by=admin_area: count under the area at this administrative level (in "
                "Mali 1 région, 2 cercle, 3 commune), by P-code, whichever boundary version the record was placed "
                "in. Without it: the record's own area.",
            ),
            OpenApiParameter(
                "include_submitted", OpenApiTypes.BOOL,
                description="Authority only: count submitted records as well as approved ones.",
            ),
            *[OpenApiParameter(filter_name, OpenApiTypes.STR) for filter_name in view.filters],
        ],
        responses=inline_serializer(name, answer),
    )  # fmt: skip
