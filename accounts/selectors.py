"""Who a user is for the national database: their organisation and whether it is the authority."""

from django.core.cache import cache

from reference.models import Organisation

# An organisation's request limit is read on every API request: from the cache, which a change
# in the admin clears (accounts.apps), and at worst this stale after a change made otherwise.
API_QUOTA_CACHE_SECONDS = 300


def user_organisation(user) -> Organisation | None:
    if not getattr(user, "is_authenticated", False):
        return None
    # Cached on the user object for the request: every scoped query needs it.
    if not hasattr(user, "_organisation_cache"):
        profile = user_profile(user)
        user._organisation_cache = profile.organisation if profile is not None else None
    return user._organisation_cache


def user_profile(user):
    """The user's profile with its organisation and the P-codes of the régions it is limited to
    (`region_pcodes`), in one query; None for an account without one."""
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.db.models import Q

    from accounts.models import Profile

    cached = user._state.fields_cache
    profile = cached.get("profile")
    if "profile" not in cached or (profile is not None and not hasattr(profile, "region_pcodes")):
        # Loaded once per request, and kept where `user.profile` finds it.
        regions = ArrayAgg("regions__pcode", filter=Q(regions__isnull=False), default=[], order_by="regions__pcode")
        profiles = Profile.objects.select_related("organisation").annotate(region_pcodes=regions)
        cached["profile"] = profiles.filter(user_id=user.pk).first()
    return cached["profile"]


def is_authority(user) -> bool:
    """Staff of the national authority, or a superuser, see and manage the whole database."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    organisation = user_organisation(user)
    return organisation is not None and organisation.kind == Organisation.Kind.NATIONAL_AUTHORITY


# Every organisation's own limit, under one key: one cache read per request, one query when the
# cache is cold, however many organisations there are (a few dozen at most).
API_QUOTAS_CACHE_KEY = "api-quotas"


def organisation_api_rate(organisation: Organisation | None) -> str | None:
    """The organisation's own API request limit (accounts.models.ApiQuota), such as "20000/hour";
    None when it has none and its accounts keep the default."""
    if organisation is None:
        return None
    rates = cache.get(API_QUOTAS_CACHE_KEY)
    if rates is None:
        from accounts.models import ApiQuota

        rates = dict(ApiQuota.objects.values_list("organisation_id", "rate"))
        cache.set(API_QUOTAS_CACHE_KEY, rates, API_QUOTA_CACHE_SECONDS)
    return rates.get(organisation.pk)
