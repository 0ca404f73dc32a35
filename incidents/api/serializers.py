from rest_framework import serializers

from core.api.serializers import RECORD_READ_ONLY, RecordSerializer
from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource


class CasualtyIdentitySerializer(serializers.ModelSerializer):
    """Personal data: accepted when a report is written, never sent back by this API."""

    class Meta:
        model = CasualtyIdentity
        fields = ("full_name", "date_of_birth", "address", "phone", "contact_person")


class NestedCasualtySerializer(serializers.ModelSerializer):
    identity = CasualtyIdentitySerializer(write_only=True, required=False)

    class Meta:
        model = Casualty
        fields = (
            "id", "external_id", "outcome", "sex", "age", "age_group", "civilian_status", "injuries",
            "injury_description", "identity",
        )  # fmt: skip
        read_only_fields = ("id",)
        validators = []


class CasualtySerializer(NestedCasualtySerializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())

    class Meta(NestedCasualtySerializer.Meta):
        fields = ("incident", "version", *NestedCasualtySerializer.Meta.fields, "created_at", "updated_at")
        read_only_fields = ("id", "version", "created_at", "updated_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            from core.selectors import records_visible

            self.fields["incident"].queryset = records_visible(Incident.objects.all(), request.user)


class IncidentSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentSource
        fields = ("id", "source_type", "organisation", "name", "reliability", "reported_on", "source_reference")
        read_only_fields = ("id",)


class IncidentSerializer(RecordSerializer):
    casualties = NestedCasualtySerializer(many=True, required=False)
    sources = IncidentSourceSerializer(many=True, required=False)

    class Meta(RecordSerializer.Meta):
        model = Incident
        fields = (
            "id", "reference", "external_id", "organisation", "status", "version", "incident_class",
            "incident_date", "incident_time", "location", "locality", "admin_area", "device_category",
            "device_category_reported", "ordnance_type", "activation", "how_activated", "person_activated",
            "moved_or_tampered", "activity_at_time", "description", "casualties", "sources", "created_at",
            "updated_at",
        )  # fmt: skip
        read_only_fields = (*RECORD_READ_ONLY, "device_category")
        extra_kwargs = {
            "location": {"required": False, "allow_null": True},
            "device_category_reported": {
                "required": False,
                "help_text": "What the reporter called the device; defaults to the model's category, else unknown.",
            },
        }
