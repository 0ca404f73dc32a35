from rest_framework import serializers

from reference.models import Organisation

RECORD_READ_ONLY = ("id", "reference", "status", "version", "admin_area", "created_at", "updated_at")


class RecordSerializer(serializers.ModelSerializer):
    """Fields every reported record shows: its reporter, workflow status and version."""

    organisation = serializers.SlugRelatedField(
        slug_field="acronym", queryset=Organisation.objects.all(), required=False,
        help_text="Acronym of the reporting organisation: your own unless you work for the authority.",
    )  # fmt: skip
    admin_area = serializers.SlugRelatedField(
        slug_field="pcode",
        read_only=True,
        allow_null=True,
        help_text="P-code of the administrative area, derived spatially.",
    )

    class Meta:
        # Uniqueness of external_id is the API's idempotency, not a validation error.
        validators = []
