from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from reports.exports import LIST_FORMATS
from reports.models import Export
from reports.treaty import FORMATS as REPORT_FORMATS
from reports.treaty import REPORT_KINDS


class ExportRequestSerializer(serializers.Serializer):
    resource = serializers.CharField(max_length=40, help_text=_("The API list to export, e.g. incidents."))
    format = serializers.ChoiceField(choices=[(f, f) for f in LIST_FORMATS])
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


class ReportRequestSerializer(serializers.Serializer):
    report = serializers.ChoiceField(
        choices=list(REPORT_KINDS),
        help_text=_(
            "article7: APMBC Article 7 report (Forms C, F, G, I, J); article5: annex of an Article 5 extension "
            "request; monitor: Landmine Monitor casualty table; ccm: CCM Article 7 report."
        ),
    )
    year = serializers.IntegerField(help_text=_("The calendar year reported on."))
    format = serializers.ChoiceField(choices=list(REPORT_FORMATS))
