"""Scoping shared by the API and the pages: the one place that decides who sees what.

DOMAIN.md, "The people": the authority sees the whole national database; a partner sees
approved national data and its own organisation's records in any state, and edits its own
records while they are not yet approved.
"""

from django.db.models import Model, Q, QuerySet

from accounts.selectors import is_authority, user_organisation
from core.models import RecordStatus


def records_visible(queryset: QuerySet, user, *, via: str = "", region_path: str | None = None) -> QuerySet:
    """`via` is the path to the record carrying organisation and status (e.g. "incident__");
    `region_path` the path to its administrative area, for authority staff limited to régions."""
    if is_authority(user):
        regions = user_regions(user)
        if regions:
            path = region_path or f"{via}admin_area"
            queryset = queryset.filter(**{f"{path}__in": regions})
        return queryset
    visible = Q(**{f"{via}status": RecordStatus.APPROVED})
    organisation = user_organisation(user)
    if organisation is not None:
        visible |= Q(**{f"{via}organisation": organisation})
    return queryset.filter(visible)


def user_regions(user) -> list[int]:
    """Ids of the areas an authority user is limited to (with their sub-areas); empty: all."""
    if not hasattr(user, "_regions_cache"):
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        ids: list[int] = []
        if profile is not None and not user.is_superuser:
            from core.filters import admin_area_ids

            for pcode in profile.regions.values_list("pcode", flat=True):
                ids += admin_area_ids(pcode)
        user._regions_cache = ids
    return user._regions_cache


def record_editable(record: Model, user) -> bool:
    """May this user change this record (or a record hanging from it, such as a casualty)?"""
    if is_authority(user):
        return True
    organisation = user_organisation(user)
    return (
        organisation is not None
        and record.organisation_id == organisation.pk
        and record.status != RecordStatus.APPROVED
    )


def can_report(user) -> bool:
    """Writing needs an organisation to report for (or the authority's rights)."""
    return is_authority(user) or user_organisation(user) is not None
