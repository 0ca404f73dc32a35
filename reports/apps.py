from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and exports")

    def ready(self) -> None:
        # Statistics read the summary tables where they can, and writes refresh them.
        from reports.summaries import register_readers

        register_readers()
