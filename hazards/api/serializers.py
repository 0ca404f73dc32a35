from rest_framework import serializers

from core.api.dates import DatePrecisionMixin
from core.api.serializers import RECORD_READ_ONLY, RecordSerializer, VisibleRecordField
from hazards.models import HazardArea, ItemFound, LandReleaseActivity


class HazardAreaSerializer(DatePrecisionMixin, RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = HazardArea
        fields = (
            "id",
            "reference",
            "external_id",
            "organisation",
            "status",
            "status_reason",
            "version",
            "name",
            "land_class",
            "geometry",
            "area_m2",
            "contamination_types",
            "contamination_types_reported",
            "improvised_av_person_sensitive",
            "evidence",
            "evidence_description",
            "hazard_status",
            "hazard_status_date",
            "hazard_status_reason",
            "blocked_land_use",
            "beneficiaries",
            "priority",
            "survey_date",
            "date_precision",
            "admin_area",
            "area_cancelled_m2",
            "area_reduced_m2",
            "area_cleared_m2",
            "remaining_area_m2",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            *RECORD_READ_ONLY,
            "area_m2",
            "area_cancelled_m2",
            "area_reduced_m2",
            "area_cleared_m2",
            "remaining_area_m2",
        )
        extra_kwargs = {"hazard_status_date": {"required": False, "help_text": "Defaults to the survey date."}}


class ItemFoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemFound
        fields = (
            "id",
            "category",
            "category_reported",
            "person_sensitive",
            "ordnance_type",
            "quantity",
            "condition",
            "depth_cm",
            "destroyed",
        )
        read_only_fields = ("id",)


class LandReleaseActivitySerializer(DatePrecisionMixin, RecordSerializer):
    items_found = ItemFoundSerializer(many=True, required=False)
    # A report can only point at a hazard its author can see.
    hazard_area = VisibleRecordField(queryset=HazardArea.objects.all(), required=False, allow_null=True)
    area_unit = serializers.ChoiceField(
        choices=["m2", "ha", "km2"],
        default="m2",
        write_only=True,
        help_text="Unit of the three areas of this report (stored in m²).",
    )

    class Meta(RecordSerializer.Meta):
        model = LandReleaseActivity
        fields = (
            "id",
            "reference",
            "external_id",
            "organisation",
            "status",
            "status_reason",
            "version",
            "kind",
            "report_type",
            "hazard_area",
            "location",
            "admin_area",
            "start_date",
            "date_precision",
            "end_date",
            "area_unit",
            "area_cancelled_m2",
            "area_reduced_m2",
            "area_cleared_m2",
            "cancelled_geometry",
            "reduced_geometry",
            "cleared_geometry",
            "clearance_depth_cm",
            "handover_men",
            "handover_women",
            "handover_boys",
            "handover_girls",
            "notes",
            "items_found",
            "created_at",
            "updated_at",
        )
        read_only_fields = RECORD_READ_ONLY


class HazardAreaOverlapCandidateSerializer(serializers.ModelSerializer):
    """An open hazardous area that overlaps the one asked about: probably the same land."""

    organisation = serializers.SlugRelatedField(slug_field="acronym", read_only=True)
    overlap_m2 = serializers.SerializerMethodField(help_text="Area shared by the two polygons, in m².")
    share = serializers.SerializerMethodField(help_text="The overlap as a part (0 to 1) of the smaller of the two.")

    class Meta:
        model = HazardArea
        fields = (
            "id",
            "reference",
            "organisation",
            "status",
            "hazard_status",
            "land_class",
            "survey_date",
            "geometry",
            "area_m2",
            "overlap_m2",
            "share",
        )
        read_only_fields = fields

    def get_overlap_m2(self, hazard) -> float:
        return round(hazard.overlap_m2, 1)

    def get_share(self, hazard) -> float:
        return round(hazard.share, 3)
