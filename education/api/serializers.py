from core.api.dates import DatePrecisionMixin
from core.api.serializers import RECORD_READ_ONLY, RecordSerializer
from education.models import RiskEducationSession


class RiskEducationSessionSerializer(DatePrecisionMixin, RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = RiskEducationSession
        fields = (
            "id",
            "reference",
            "external_id",
            "organisation",
            "status",
            "status_reason",
            "version",
            "session_date",
            "date_precision",
            "location",
            "locality",
            "admin_area",
            "method",
            "target_group",
            "girls",
            "boys",
            "women",
            "men",
            "with_disability",
            "notes",
            "created_at",
            "updated_at",
        )
        read_only_fields = RECORD_READ_ONLY
        extra_kwargs = {"location": {"required": False, "allow_null": True}}
