from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "assistance"
    verbose_name = _("Victim assistance")

    def ready(self) -> None:
        from assistance.models import AssistanceService, Survivor
        from core.registry import RecordType, register

        register(
            RecordType(
                Survivor,
                "survivors",
                date_field="casualty__incident__incident_date",
                date_precision_field="casualty__incident__date_precision",
                region_path="casualty__incident__admin_area",
                # Needs are free text about a person's health: kept out of files that leave the system.
                export_fields=("casualty", "has_disability"),
            )
        )
        register(RecordType(
            AssistanceService, "assistance-services", date_field="start_date", date_precision_field="date_precision",
            category_field="service_type",
            region_path="survivor__casualty__incident__admin_area",
            export_fields=("survivor", "service_type", "start_date", "date_precision", "end_date", "outcome"),
        ))  # fmt: skip
