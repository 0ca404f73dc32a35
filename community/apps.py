from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community liaison")

    def ready(self) -> None:
        from community.models import CommunityReport
        from core.registry import RecordType, register

        register(RecordType(
            CommunityReport, "community-reports", geometry_field="location", date_field="report_date",
            date_precision_field="date_precision",
            category_field="subject", duties=frozenset({"operations"}), personal_fields=("reporter_name",),
            export_fields=("reference", "report_date", "date_precision", "subject", "item_category", "item_count",
                           "outcome", "admin_area"),
        ))  # fmt: skip
