from rest_framework.permissions import DjangoModelPermissions


class RolePermissions(DjangoModelPermissions):
    """The role's model permissions for each method; reading needs `view_<model>` too.

    Which records (organisation, status, région) comes on top, from core.selectors.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if getattr(view, "permission_by_action", None) and view.action in view.permission_by_action:
            return request.user.is_authenticated and request.user.has_perm(view.permission_by_action[view.action])
        return super().has_permission(request, view)
