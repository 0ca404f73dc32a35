from rest_framework import serializers

from community.models import CommunityReport
from core.api.dates import DatePrecisionMixin
from core.api.serializers import RECORD_READ_ONLY, RecordSerializer


class CommunityReportSerializer(DatePrecisionMixin, RecordSerializer):
    hazard_area = serializers.PrimaryKeyRelatedField(read_only=True)
    spot_task = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(RecordSerializer.Meta):
        model = CommunityReport
        fields = (
            "id",
            "reference",
            "external_id",
            "organisation",
            "status",
            "status_reason",
            "version",
            "report_date",
            "date_precision",
            "subject",
            "location",
            "suspected_area",
            "locality",
            "admin_area",
            "item_category",
            "item_category_reported",
            "item_person_sensitive",
            "item_count",
            "reporter_name",
            "description",
            "outcome",
            "hazard_area",
            "spot_task",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*RECORD_READ_ONLY, "outcome")
        extra_kwargs = {"location": {"required": False, "allow_null": True}}
