from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete, post_migrate, post_save, pre_save

        from accounts.models import ApiQuota

        post_migrate.connect(_sync_roles, sender=self)
        # A new password revokes the API token: whoever held the old password loses the key too.
        pre_save.connect(
            _revoke_token_on_new_password, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts_new_password"
        )
        # A limit changed in the admin applies from the next request, not after the cache expires.
        post_save.connect(_forget_api_quota, sender=ApiQuota, dispatch_uid="accounts_api_quota_saved")
        post_delete.connect(_forget_api_quota, sender=ApiQuota, dispatch_uid="accounts_api_quota_deleted")


def _forget_api_quota(sender, instance, **kwargs) -> None:
    from django.core.cache import cache
    from django.db import transaction

    from accounts.selectors import API_QUOTAS_CACHE_KEY

    cache.delete(API_QUOTAS_CACHE_KEY)
    # Again once saved: a request in between may have cached the limits as they were.
    transaction.on_commit(lambda: cache.delete(API_QUOTAS_CACHE_KEY))


def _revoke_token_on_new_password(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    from rest_framework.authtoken.models import Token

    old = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        Token.objects.filter(user_id=instance.pk).delete()


def _sync_roles(sender, using="default", **kwargs) -> None:
    # After the permissions of every app exist (Django creates them after each migrate).
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    from accounts.roles import roles_sync

    roles_sync()
