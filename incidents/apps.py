from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents and casualties")

    def ready(self) -> None:
        from core.registry import RecordType, register
        from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource

        register(
            RecordType(
                Incident,
                "incidents",
                geometry_field="location",
                date_field="incident_date",
                date_precision_field="date_precision",
                category_field="device_category",
                export_fields=(
                    "reference",
                    "incident_class",
                    "incident_date",
                    "date_precision",
                    "device_category",
                    "device_category_reported",
                    "activation",
                    "how_activated",
                    "activity_at_time",
                    "admin_area",
                ),
            )
        )
        register(
            RecordType(
                Casualty,
                "casualties",
                date_field="incident__incident_date",
                date_precision_field="incident__date_precision",
                category_field="outcome",
                owner_path="incident__",
                region_path="incident__admin_area",
                export_fields=("incident", "outcome", "sex", "age_group", "civilian_status"),
            )
        )
        register(RecordType(IncidentSource, None, owner_path="incident__", region_path="incident__admin_area"))
        # Personal data: behind its own permission (core.policy.check_read_identity), never exported.
        register(RecordType(
            CasualtyIdentity, None, owner_path="casualty__incident__", region_path="casualty__incident__admin_area",
            personal_fields=("full_name", "date_of_birth", "address", "phone", "contact_person"),
        ))  # fmt: skip
