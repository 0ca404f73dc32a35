"""Django's account backend, reading the permissions of the account and of its roles in one
statement instead of two ORM queries: every API request asks for them (core.api.permissions)."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection

# The account's own permissions and its roles' in one statement (two indexed reads joined by a
# UNION; an OR across both joins would read every permission), without building it in the ORM.
PERMISSIONS = """
SELECT t.app_label, p.codename FROM auth_permission p JOIN django_content_type t ON t.id = p.content_type_id
WHERE p.id IN (SELECT permission_id FROM auth_user_user_permissions WHERE user_id = %(user)s
               UNION SELECT g.permission_id FROM auth_group_permissions g
               JOIN auth_user_groups u ON u.group_id = g.group_id WHERE u.user_id = %(user)s)
"""


class AccountBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                pairs = Permission.objects.values_list("content_type__app_label", "codename")
            else:
                with connection.cursor() as cursor:
                    cursor.execute(PERMISSIONS, {"user": user_obj.pk})
                    pairs = cursor.fetchall()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in pairs}
        return user_obj._perm_cache


# django-axes keeps the name tried in 255 characters; longer, the failure's record is a 500.
ATTEMPT_USERNAME_MAX = 255


def attempted_username(request, credentials=None) -> str | None:
    """The user name django-axes records and locks by (settings.AXES_USERNAME_CALLABLE): the one
    given, cut to what its table holds (no account's name is that long, so no lock is shared)."""
    # As django-axes reads it by default: the credentials given to authenticate(), else the form.
    given = credentials or getattr(request, "data", request.POST)
    username = given.get("username")
    return username[:ATTEMPT_USERNAME_MAX] if isinstance(username, str) else username
