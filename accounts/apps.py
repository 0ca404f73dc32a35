from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_roles, sender=self)


def _sync_roles(sender, using="default", **kwargs) -> None:
    # After the permissions of every app exist (Django creates them after each migrate).
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    from accounts.roles import roles_sync

    roles_sync()
