from rest_framework import serializers

from field.models import IMPORT_TYPES, ImportMapping, ImportRow, RecordImport


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV, XLSX, GeoJSON, GeoPackage (.gpkg) or zipped Shapefile (.zip).")
    record_type = serializers.ChoiceField(choices=IMPORT_TYPES)
    organisation = serializers.CharField(
        required=False, max_length=30, help_text="Acronym of the reporting organisation (default: yours)."
    )
    mapping = serializers.CharField(required=False, max_length=100, help_text="Name of a saved mapping.")


class RecordImportSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.acronym", read_only=True)
    mapping = serializers.CharField(source="mapping.name", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()
    rows_url = serializers.SerializerMethodField()

    class Meta:
        model = RecordImport
        fields = ("id", "url", "rows_url", "record_type", "organisation", "mapping", "file_name", "status", "progress",
                  "rows", "to_create", "to_update", "unchanged", "rejected", "error", "created_at", "checked_at",
                  "imported_at")  # fmt: skip
        read_only_fields = fields

    def get_url(self, record_import) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/imports/{record_import.pk}/")

    def get_rows_url(self, record_import) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/imports/{record_import.pk}/rows/")


class ImportRowSerializer(serializers.ModelSerializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), read_only=True)

    class Meta:
        model = ImportRow
        fields = ("number", "action", "external_id", "errors", "record_id")
        read_only_fields = fields


class ImportMappingSerializer(serializers.ModelSerializer):
    columns = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    values = serializers.DictField(child=serializers.DictField(child=serializers.CharField()), required=False)
    organisation = serializers.CharField(source="organisation.acronym", read_only=True, allow_null=True)

    class Meta:
        model = ImportMapping
        fields = ("name", "record_type", "organisation", "columns", "values", "created_at", "updated_at")
        read_only_fields = ("organisation", "created_at", "updated_at")
        extra_kwargs = {"name": {"validators": []}}
