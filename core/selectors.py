"""Scoping shared by the API, the admin and the pages: the one place that decides who sees what.

DOMAIN.md, "The people": the authority sees the whole national database (or the régions its
staff are limited to); a partner sees approved national data and its own organisation's
records in any state. Records the authority writes itself (quality inspections) are seen by
the organisation they concern, not by every partner.
"""

from django.db.models import Q, QuerySet

from accounts.selectors import is_authority, user_organisation, user_profile
from core import registry
from core.models import RecordStatus


def records_visible(
    queryset: QuerySet, user, *, via: str | None = None, region_path: str | None = None, entry=None
) -> QuerySet:
    """`entry` (core.registry) tells the paths; `via` and `region_path` override them: the path
    to the record carrying organisation and status (e.g. "incident__"), and to its area."""
    if entry is None:
        from core import registry

        try:
            entry = registry.get(queryset.model)
        except LookupError:
            entry = None
    if via is None:
        via = entry.owner_path if entry is not None else ""
    if region_path is None:
        region_path = entry.region_path if entry is not None else f"{via}admin_area"
    if is_authority(user):
        regions = user_regions(user)
        if regions:
            queryset = queryset.filter(**{f"{region_path}__in": regions})
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    visible = Q(pk__in=[])
    if entry is None or not entry.authority_writes:
        visible = Q(**{f"{via}status": RecordStatus.APPROVED})
    organisation = user_organisation(user)
    if organisation is not None:
        visible |= Q(**{f"{via}organisation": organisation})
    return queryset.filter(visible)


def user_regions(user) -> list[int]:
    """Ids of the areas an authority user is limited to, with their sub-areas, in every boundary
    version (records keep the version they were placed in); empty: the whole country."""
    if not hasattr(user, "_regions_cache"):
        profile = user_profile(user)
        ids: list[int] = []
        if profile is not None and not user.is_superuser:
            from core.filters import admin_area_ids

            for pcode in profile.region_pcodes:
                ids += admin_area_ids(pcode)
        user._regions_cache = ids
    return user._regions_cache


def removals_visible(user) -> QuerySet:
    """Records that left this user's view (core.models.Removal), for `updated_since` syncs.

    The authority learns of deletions and merges (in its régions); a partner of deletions and
    merges of its own records, and of any record that was approved when it left (deleted in a
    merge, or withdrawn by a reopening), which it had seen in the national data. Types the
    role may not read are left out.
    """
    from core import registry
    from core.models import Removal

    slugs = [e.slug for e in registry.entries() if e.slug and user.has_perm(e.permission("view"))]
    removals = Removal.objects.filter(record_type__in=slugs).select_related("organisation")
    if is_authority(user):
        regions = user_regions(user)
        removals = removals.exclude(reason=Removal.Reason.WITHDRAWN)
        return removals.filter(admin_area__in=regions) if regions else removals
    organisation = user_organisation(user)
    if organisation is None:
        return removals.filter(was_public=True)
    own = Q(organisation=organisation) & ~Q(reason=Removal.Reason.WITHDRAWN)
    return removals.filter(own | (Q(was_public=True) & ~Q(organisation=organisation)))


def _live(queryset, entry: registry.RecordType):
    """Parts of a deleted report leave the lists with it (deletion of reports is soft)."""
    if not entry.owner_path:
        return queryset
    model = entry.model
    for step in filter(None, entry.owner_path.split("__")):
        model = model._meta.get_field(step).related_model
    if any(f.name == "deleted_at" for f in model._meta.concrete_fields):
        return queryset.filter(**{f"{entry.owner_path}deleted_at__isnull": True})
    return queryset


def scoped(queryset, user):
    """A queryset of a registered record type as the user may read it (`records_visible`), without
    the parts of deleted reports: what every list, page, layer and export starts from."""
    entry = registry.get(queryset.model)
    # A role that may not read a record type reads none of it through any page, layer or tile,
    # its organisation's own records included (a viewer reads aggregates only: DOMAIN.md).
    if not getattr(user, "is_authenticated", False) or not user.has_perm(entry.permission("view")):
        return queryset.none()
    return _live(records_visible(queryset, user, entry=entry), entry)
