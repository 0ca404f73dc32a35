"""Who a user is for the national database: their organisation and whether it is the authority."""

from reference.models import Organisation


def user_organisation(user) -> Organisation | None:
    if not getattr(user, "is_authenticated", False):
        return None
    # Cached on the user object for the request: every scoped query needs it.
    if not hasattr(user, "_organisation_cache"):
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        user._organisation_cache = profile.organisation if profile is not None else None
    return user._organisation_cache


def is_authority(user) -> bool:
    """Staff of the national authority, or a superuser, see and manage the whole database."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    organisation = user_organisation(user)
    return organisation is not None and organisation.kind == Organisation.Kind.NATIONAL_AUTHORITY
