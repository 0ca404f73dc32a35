"""Open data over the API: the data sets (`GET /api/v1/open-data/`) and each one as an HXL-tagged CSV
file (`GET /api/v1/open-data/<name>.csv`), for open-data portals such as HDX (reports.opendata)."""

import csv

from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.models import AdministrativeArea
from reports.exports import CONTENT_TYPES
from reports.opendata import (
    DATASETS,
    Dataset,
    InvalidFilters,
    csv_filename,
    csv_lines,
    may_read_open_data,
    open_data_filters,
    open_data_rows,
)

FIRST_YEAR, LAST_YEAR = 1900, 2100


class OpenDataQuerySerializer(serializers.Serializer):
    """The selection of a file: a year, or a first and last day; and a P-code."""

    year = serializers.IntegerField(
        required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR, help_text="Only this calendar year."
    )
    date_after = serializers.DateField(required=False, help_text="On or after this date (YYYY-MM-DD).")
    date_before = serializers.DateField(required=False, help_text="On or before this date (YYYY-MM-DD).")
    admin_area = serializers.CharField(
        required=False, max_length=20, help_text="P-code of an administrative area; its sub-areas are included."
    )

    def validate_admin_area(self, value: str) -> str:
        # A mistyped P-code would give an empty file that looks like no casualties: say so instead.
        if not AdministrativeArea.objects.filter(pcode=value).exists():
            raise serializers.ValidationError(_("No administrative area has this P-code."))
        return value

    def validate(self, attrs: dict) -> dict:
        after, before = attrs.get("date_after"), attrs.get("date_before")
        if attrs.get("year") is not None and (after or before):
            raise serializers.ValidationError({"year": [_("Give a year or a first and last day, not both.")]})
        if after and before and after > before:
            raise serializers.ValidationError({"date_before": [_("The last day comes after the first.")]})
        return attrs


class OpenDataColumnSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The column's name in this description.")
    label = serializers.CharField(help_text="Its heading, the file's first line, in the request's language.")
    hxl = serializers.CharField(help_text="Its HXL hashtag and attributes, the file's second line.")


class OpenDatasetSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    url = serializers.URLField(help_text="The CSV file; add year, date_after, date_before or admin_area to select.")
    columns = OpenDataColumnSerializer(many=True)


class MayReadOpenData(BasePermission):
    """reports.opendata.may_read_open_data: anonymous readers get 401, others without the right 403."""

    message = gettext_lazy("Your role does not read statistics.")

    def has_permission(self, request, view) -> bool:
        return may_read_open_data(request.user)


class OpenDataView(APIView):
    permission_classes = [MayReadOpenData]

    def perform_content_negotiation(self, request, force=False):
        # A client that accepts only text/csv still gets its errors, as JSON, rather than a 406.
        return super().perform_content_negotiation(request, force=True)


def _described(dataset: Dataset, request) -> dict:
    return {
        "name": dataset.name,
        "title": str(dataset.title),
        "description": str(dataset.description),
        "url": request.build_absolute_uri(reverse("open-data-csv", kwargs={"dataset": dataset.name})),
        "columns": [{"key": column.key, "label": str(column.label), "hxl": column.hxl} for column in dataset.columns],
    }


class OpenDataListView(OpenDataView):
    @extend_schema(operation_id="open_data_list", summary="Open data sets", responses=OpenDatasetSerializer(many=True))
    def get(self, request):
        """The open data sets: aggregated figures of approved records, each a CSV file whose second line
        holds HXL hashtags (Humanitarian Exchange Language), with its columns and their hashtags."""
        return Response([_described(dataset, request) for dataset in DATASETS.values()])


class OpenDataFileView(OpenDataView):
    @extend_schema(
        operation_id="open_data_file",
        summary="An open data set as an HXL-tagged CSV file",
        parameters=[
            OpenApiParameter("dataset", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(DATASETS)),
            OpenDataQuerySerializer,
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request, dataset: str):
        """Aggregated figures of approved records as CSV (UTF-8): headings in the request's language,
        then HXL hashtags, then one line per year and région (per year and service for victim
        assistance). The figures are those of `/api/v1/statistics/...` for the same selection.

        `Last-Modified` is when the figures were computed (a summary's last refresh);
        `X-Figures-Up-To-Date: false` while records changed since then (a refresh is on its way)."""
        chosen = DATASETS.get(dataset)
        if chosen is None:
            raise NotFound(_("There is no open data set of this name."))
        query = OpenDataQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            data = open_data_rows(chosen, request=request, filters=open_data_filters(**query.validated_data))
        except InvalidFilters as exc:
            raise ValidationError(exc.args[0]) from exc
        response = HttpResponse(content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{csv_filename(chosen, **query.validated_data)}"'
        response["Last-Modified"] = http_date(data.as_of.timestamp())
        response["X-Figures-Up-To-Date"] = "true" if data.up_to_date else "false"
        csv.writer(response).writerows(csv_lines(data))
        return response
