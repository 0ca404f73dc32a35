from rest_framework.permissions import DjangoModelPermissions


class RolePermissions(DjangoModelPermissions):
    """Reading a record type needs the role's `view_<model>`, whatever the method: the door is
    closed early to roles that may not see the type at all. What may be written, by whom, and
    which records, is decided by the services (core.policy) and the selectors (core.selectors).
    """

    perms_map = {
        method: ["%(app_label)s.view_%(model_name)s"]
        for method in ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
    }
