from rest_framework import serializers

from assistance.models import AssistanceService, Survivor
from core.api.dates import DatePrecisionMixin
from core.api.serializers import RecordSerializer, VisibleRecordField
from incidents.models import Casualty

READ_ONLY = ("id", "status", "status_reason", "version", "created_at", "updated_at")


class SurvivorSerializer(RecordSerializer):
    casualty = VisibleRecordField(queryset=Casualty.objects.filter(incident__deleted_at__isnull=True), via="incident__")

    class Meta(RecordSerializer.Meta):
        model = Survivor
        fields = (
            "id",
            "external_id",
            "organisation",
            "status",
            "status_reason",
            "version",
            "casualty",
            "needs",
            "has_disability",
            "created_at",
            "updated_at",
        )
        read_only_fields = READ_ONLY


class AssistanceServiceSerializer(DatePrecisionMixin, RecordSerializer):
    survivor = VisibleRecordField(queryset=Survivor.objects.all())
    provider = serializers.SlugRelatedField(
        slug_field="acronym",
        queryset=AssistanceService._meta.get_field("provider").related_model.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta(RecordSerializer.Meta):
        model = AssistanceService
        fields = (
            "id",
            "external_id",
            "organisation",
            "status",
            "status_reason",
            "version",
            "survivor",
            "service_type",
            "provider",
            "provider_name",
            "start_date",
            "date_precision",
            "end_date",
            "outcome",
            "notes",
            "created_at",
            "updated_at",
        )
        read_only_fields = READ_ONLY
