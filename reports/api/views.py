from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import services
from reports.api.serializers import (
    ExportAcceptedSerializer,
    ExportRequestSerializer,
    ExportSerializer,
    ReportRequestSerializer,
)
from reports.exports import CONTENT_TYPES
from reports.models import Export
from reports.selectors import export_get


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_code = "gone"


def _own_export(request, pk) -> Export:
    export = export_get(user=request.user, pk=pk)
    if export is None:
        raise NotFound()
    return export


class ExportListView(APIView):
    @extend_schema(
        request=ExportRequestSerializer,
        responses={202: ExportAcceptedSerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def post(self, request):
        """Asks for a file of a filtered list, as you see it: written in the background; follow `url`."""
        body = ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        export = services.export_request(user=request.user, **body.validated_data)
        url = request.build_absolute_uri(f"/api/v1/exports/{export.pk}/")
        return Response({"id": export.pk, "status": export.status, "url": url}, status=status.HTTP_202_ACCEPTED)


class ReportRequestView(APIView):
    @extend_schema(
        request=ReportRequestSerializer,
        responses={
            202: ExportAcceptedSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: OpenApiResponse(description="Your role does not read statistics."),
        },
    )
    def post(self, request):
        """Asks for a treaty report of a year (XLSX, DOCX or PDF), counting the approved records you
        may see: written in the background like an export; follow `url`, then download it."""
        body = ReportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        export = services.report_request(
            user=request.user,
            kind=body.validated_data["report"],
            year=body.validated_data["year"],
            format=body.validated_data["format"],
        )
        url = request.build_absolute_uri(f"/api/v1/exports/{export.pk}/")
        return Response({"id": export.pk, "status": export.status, "url": url}, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    @extend_schema(responses=ExportSerializer)
    def get(self, request, pk: int):
        """Your export: its status, progress and rows, the reason it failed, and its file once done."""
        export = _own_export(request, pk)
        return Response(ExportSerializer(export, context={"request": request}).data)


class ExportDownloadView(APIView):
    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not yours, or not done yet."),
            410: OpenApiResponse(description="The file has expired: ask for the export again."),
        }
    )
    def get(self, request, pk: int):
        """The export's file (CSV, XLSX, GeoJSON, GeoPackage; a report's XLSX, DOCX or PDF), until it expires."""
        export = _own_export(request, pk)
        if export.status != Export.Status.DONE:
            raise NotFound(_("The export is not done yet."))
        path = services.export_root() / export.file_path if export.file_path else None
        if export.expires_at <= timezone.now() or path is None or not path.is_file():
            raise Gone(_("The file has expired: ask for the export again."))
        return FileResponse(
            open(path, "rb"),
            as_attachment=True,
            filename=export.file_path,
            content_type=CONTENT_TYPES[export.format],
        )
