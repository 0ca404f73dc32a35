from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "field"
    verbose_name = _("Field collection and imports")

    def ready(self) -> None:
        # Celery finds `field.tasks` by itself; the import tasks live in their own module.
        from field import import_tasks  # noqa: F401
