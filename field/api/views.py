"""`/api/v1/imports/`: a partner's script sends a file, reads the dry run's report row by row, then
confirms; `/api/v1/import-mappings/`: saved mappings by name. The services decide everything."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from field import services
from field.api.serializers import (
    ImportMappingSerializer,
    ImportRequestSerializer,
    ImportRowSerializer,
    RecordImportSerializer,
)
from field.models import ImportMapping, ImportRow, RecordImport
from field.selectors import import_of, imports_of
from reference.models import Organisation


class ImportPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def _own_import(request, pk) -> RecordImport:
    record_import = import_of(request.user, pk)
    if record_import is None:
        raise NotFound()
    return record_import


class ImportListView(ListAPIView):
    serializer_class = RecordImportSerializer
    pagination_class = ImportPagination
    parser_classes = (MultiPartParser,)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RecordImport.objects.none()
        return imports_of(self.request.user)

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            201: RecordImportSerializer, 202: RecordImportSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: OpenApiResponse(description="You may not report these records for this organisation."),
        },
    )  # fmt: skip
    def post(self, request):
        """Sends a file: it is checked (a dry run, nothing saved) at once when small (201, the report
        ready) or in the background (202; follow `url`). Read `rows_url` for each row's fate, then
        confirm."""
        body = ImportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organisation = None
        if data.get("organisation"):
            organisation = Organisation.objects.filter(acronym=data["organisation"]).first()
            if organisation is None:
                raise ValidationError({"organisation": ["No organisation has this acronym."]})
        mapping = None
        if data.get("mapping"):
            mapping = ImportMapping.objects.filter(name=data["mapping"]).first()
            if mapping is None:
                raise ValidationError({"mapping": ["No mapping has this name."]})
        upload = data["file"]
        record_import = services.import_start(
            user=request.user, organisation=organisation, record_type=data["record_type"], name=upload.name,
            chunks=upload.chunks(), mapping=mapping,
        )  # fmt: skip
        answer = RecordImportSerializer(record_import, context={"request": request}).data
        done = record_import.status != RecordImport.Status.CHECKING
        return Response(answer, status=status.HTTP_201_CREATED if done else status.HTTP_202_ACCEPTED)


class ImportDetailView(APIView):
    @extend_schema(responses=RecordImportSerializer)
    def get(self, request, pk: int):
        """Your import: its status and progress, and how many rows would be (or were) created,
        updated, left unchanged or rejected."""
        return Response(RecordImportSerializer(_own_import(request, pk), context={"request": request}).data)


class ImportRowsView(ListAPIView):
    serializer_class = ImportRowSerializer
    pagination_class = ImportPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "action",
                enum=list(ImportRow.Action.values),
                required=False,
                description="Only the rows with this fate, e.g. `reject`.",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        """Each row of the file (numbered as in the file: the header is row 1) with its fate and,
        when rejected, the messages per field."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportRow.objects.none()
        record_import = _own_import(self.request, self.kwargs["pk"])
        rows = ImportRow.objects.filter(record_import=record_import).order_by("number")
        action = self.request.query_params.get("action")
        if action:
            if action not in ImportRow.Action.values:
                raise ValidationError({"action": [f"Choose one of: {', '.join(ImportRow.Action.values)}."]})
            rows = rows.filter(action=action)
        return rows


class ImportConfirmView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: RecordImportSerializer, 202: RecordImportSerializer,
            400: OpenApiResponse(description="Not checked, or nothing to write."),
        },
    )  # fmt: skip
    def post(self, request, pk: int):
        """Writes the rows the check accepted, all or nothing, as submitted records: at once for a
        small file (200), else in the background (202)."""
        record_import = services.import_confirm(record_import=_own_import(request, pk), user=request.user)
        answer = RecordImportSerializer(record_import, context={"request": request}).data
        done = record_import.status != RecordImport.Status.IMPORTING
        return Response(answer, status=status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED)


class ImportMappingListView(ListAPIView):
    serializer_class = ImportMappingSerializer
    pagination_class = ImportPagination
    queryset = ImportMapping.objects.select_related("organisation")

    @extend_schema(request=ImportMappingSerializer, responses={200: ImportMappingSerializer})
    def post(self, request):
        """Saves a mapping under its name (replacing one of the same name): `columns` maps source
        column names to field names (an empty name leaves the column out), `values` maps, per field,
        source values to ours."""
        body = ImportMappingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organisation = getattr(getattr(request.user, "profile", None), "organisation", None)
        mapping = services.mapping_save(
            user=request.user, name=data["name"], record_type=data["record_type"], columns=data.get("columns", {}),
            values=data.get("values", {}), organisation=organisation,
        )  # fmt: skip
        return Response(ImportMappingSerializer(mapping).data)


class ImportMappingDetailView(APIView):
    @extend_schema(responses=ImportMappingSerializer)
    def get(self, request, name: str):
        return Response(ImportMappingSerializer(get_object_or_404(ImportMapping, name=name)).data)
