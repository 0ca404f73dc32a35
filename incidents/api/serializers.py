from rest_framework import serializers

from core.api.dates import DatePrecisionMixin
from core.api.serializers import RECORD_READ_ONLY, RecordSerializer, VisibleRecordField
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
            "id",
            "external_id",
            "outcome",
            "sex",
            "age",
            "age_group",
            "civilian_status",
            "injuries",
            "injury_description",
            "identity",
        )
        read_only_fields = ("id",)
        validators = []


class CasualtySerializer(NestedCasualtySerializer):
    incident = VisibleRecordField(queryset=Incident.objects.all())

    class Meta(NestedCasualtySerializer.Meta):
        fields = ("incident", "version", *NestedCasualtySerializer.Meta.fields, "created_at", "updated_at")
        read_only_fields = ("id", "version", "created_at", "updated_at")


class IncidentSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentSource
        fields = ("id", "source_type", "organisation", "name", "reliability", "reported_on", "source_reference")
        read_only_fields = ("id",)


class IncidentSerializer(DatePrecisionMixin, RecordSerializer):
    casualties = NestedCasualtySerializer(many=True, required=False)
    sources = IncidentSourceSerializer(many=True, required=False)

    class Meta(RecordSerializer.Meta):
        model = Incident
        fields = (
            "id",
            "reference",
            "external_id",
            "organisation",
            "status",
            "status_reason",
            "version",
            "incident_class",
            "incident_date",
            "date_precision",
            "incident_time",
            "location",
            "locality",
            "admin_area",
            "device_category",
            "device_category_reported",
            "device_category_reported_derived",
            "ordnance_type",
            "activation",
            "how_activated",
            "person_activated",
            "anti_handling_device",
            "moved_or_tampered",
            "activity_at_time",
            "description",
            "casualties",
            "sources",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*RECORD_READ_ONLY, "device_category")
        extra_kwargs = {
            "location": {"required": False, "allow_null": True},
            "device_category_reported": {
                "required": False,
                "help_text": "What the reporter called the device; defaults to the model's category, else unknown.",
            },
        }


class IncidentDuplicateCandidateSerializer(serializers.ModelSerializer):
    """An incident that is probably the same event as the one asked about."""

    organisation = serializers.SlugRelatedField(slug_field="acronym", read_only=True)
    distance_m = serializers.SerializerMethodField(help_text="Distance between the two locations, in metres.")
    days_apart = serializers.IntegerField(
        read_only=True,
        help_text="Days between the two incident dates; for a date known only by its month or year, between the "
        "two periods (0 when they overlap).",
    )
    killed = serializers.IntegerField(read_only=True, help_text="Casualties killed in this incident.")
    injured = serializers.IntegerField(read_only=True, help_text="Casualties injured in this incident.")
    score = serializers.SerializerMethodField(
        help_text="0 to 1: nearness in place and time, alike casualty counts, same or compatible device."
    )

    class Meta:
        model = Incident
        fields = (
            "id",
            "reference",
            "organisation",
            "status",
            "incident_date",
            "location",
            "device_category",
            "distance_m",
            "days_apart",
            "killed",
            "injured",
            "score",
        )
        read_only_fields = fields

    def get_distance_m(self, incident) -> float:
        return round(incident.distance_m, 1)

    def get_score(self, incident) -> float:
        return round(incident.score, 3)
