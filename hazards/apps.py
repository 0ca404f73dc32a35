from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "hazards"
    verbose_name = _("Hazardous areas and land release")

    def ready(self) -> None:
        from core.registry import RecordType, register
        from hazards.models import HazardArea, ItemFound, LandReleaseActivity, NonConformity, QualityInspection

        operations = frozenset({"operations"})
        register(
            RecordType(
                HazardArea,
                "hazard-areas",
                geometry_field="geometry",
                date_field="survey_date",
                date_precision_field="date_precision",
                category_field="land_class",
                duties=operations,
                export_fields=(
                    "reference",
                    "name",
                    "land_class",
                    "hazard_status",
                    "area_m2",
                    "remaining_area_m2",
                    "contamination_types",
                    "evidence",
                    "survey_date",
                    "date_precision",
                    "priority",
                    "admin_area",
                ),
            )
        )
        register(
            RecordType(
                LandReleaseActivity,
                "land-release-activities",
                geometry_field="location",
                date_field="start_date",
                date_precision_field="date_precision",
                category_field="kind",
                duties=operations,
                on_status_change=_recompute_hazard,
                export_fields=(
                    "reference",
                    "kind",
                    "hazard_area",
                    "start_date",
                    "date_precision",
                    "end_date",
                    "area_cancelled_m2",
                    "area_reduced_m2",
                    "area_cleared_m2",
                    "admin_area",
                ),
            )
        )
        register(
            RecordType(
                ItemFound,
                None,
                category_field="category",
                owner_path="activity__",
                region_path="activity__admin_area",
                duties=operations,
            )
        )
        quality = frozenset({"quality"})
        register(
            RecordType(
                QualityInspection,
                None,
                date_field="inspection_date",
                category_field="result",
                owner_path="activity__",
                region_path="activity__admin_area",
                authority_writes=True,
                duties=quality,
            )
        )
        register(RecordType(
            NonConformity, None, category_field="severity", owner_path="inspection__activity__",
            region_path="inspection__activity__admin_area", authority_writes=True, duties=quality,
        ))  # fmt: skip


def _recompute_hazard(activity) -> None:
    # A hazard's released and remaining area follow its approved activities.
    from hazards.services import hazard_areas_recompute

    if activity.hazard_area_id:
        hazard_areas_recompute(ids=[activity.hazard_area_id])
