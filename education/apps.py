from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = _("Explosive ordnance risk education")

    def ready(self) -> None:
        from core.registry import RecordType, register
        from education.models import RiskEducationSession

        register(RecordType(
            RiskEducationSession, "risk-education-sessions", geometry_field="location", date_field="session_date",
            date_precision_field="date_precision",
            category_field="method",
            export_fields=("reference", "session_date", "date_precision", "method", "target_group", "girls", "boys",
                           "women", "men", "with_disability", "admin_area"),
        ))  # fmt: skip
