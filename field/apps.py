from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "field"
    verbose_name = _("Field collection and imports")

    def ready(self) -> None:
        from core import registry
        from core.pages import register_work_page

        # Celery finds `field.tasks` by itself; the import tasks live in their own module.
        from field import import_tasks  # noqa: F401
        from field.models import IMPORT_TYPES

        def may_import(user) -> bool:
            return any(user.has_perm(registry.by_slug(slug).permission("add")) for slug, _label in IMPORT_TYPES)

        register_work_page(_("Imports"), "field:imports", may_import)
