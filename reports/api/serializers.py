from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from reports.models import Export


class ExportRequestSerializer(serializers.Serializer):
    resource = serializers.CharField(max_length=40, help_text=_("The API list to export, e.g. incidents."))
    format = serializers.ChoiceField(choices=Export.Format.choices)
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text=_("The list's query parameters; a repeated parameter as a list of values."),
    )


class ExportAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Export.Status.choices)
    url = serializers.URLField()


class ExportSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(help_text=_("The file's address, once done and until it expires."))

    class Meta:
        model = Export
        fields = (
            "id", "resource", "format", "filters", "status", "progress", "rows", "error",
            "created_at", "finished_at", "expires_at", "download",
        )  # fmt: skip
        read_only_fields = fields

    def get_download(self, export) -> str | None:
        if export.status != Export.Status.DONE or not export.file_path:
            return None
        return self.context["request"].build_absolute_uri(f"/api/v1/exports/{export.pk}/download/")
