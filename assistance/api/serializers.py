from rest_framework import serializers

from assistance.models import AssistanceService, Survivor
from core.api.serializers import RecordSerializer
from incidents.models import Casualty

READ_ONLY = ("id", "status", "status_reason", "version", "created_at", "updated_at")


class SurvivorSerializer(RecordSerializer):
    casualty = serializers.PrimaryKeyRelatedField(queryset=Casualty.objects.all())

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            from core.selectors import records_visible

            self.fields["casualty"].queryset = records_visible(
                Casualty.objects.filter(incident__deleted_at__isnull=True), request.user, via="incident__"
            )


class AssistanceServiceSerializer(RecordSerializer):
    survivor = serializers.PrimaryKeyRelatedField(queryset=Survivor.objects.all())
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
            "end_date",
            "outcome",
            "notes",
            "created_at",
            "updated_at",
        )
        read_only_fields = READ_ONLY

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            from core.selectors import records_visible

            self.fields["survivor"].queryset = records_visible(Survivor.objects.all(), request.user)
