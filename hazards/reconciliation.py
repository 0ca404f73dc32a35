"""Reconciling hazardous areas: two surveys of the same contaminated land become one hazardous
area, with every land release activity done on either (DOMAIN.md, Workflow; IMAS 08.10).
"""

from django.conf import settings
from django.contrib.gis.db.models.functions import Intersection
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.db.models import F, FloatField, Subquery, Sum, Value
from django.db.models.functions import Least, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.fields import GeographyArea
from core.history import recorded
from core.models import RecordStatus
from core.selectors import records_visible
from core.services import stamp
from core.workflow import merge_pair_lock, merge_reason, record_soft_delete
from hazards.models import HazardArea, LandReleaseActivity
from hazards.services import AREA_TOLERANCE_M2, RELEASED_AREAS, hazard_area_validate, hazard_areas_recompute

# A review list, not an export: the few most likely ones.
CANDIDATE_LIMIT = 50

# The union of two valid multipolygons, made valid and kept as polygons only: touching parts
# can leave lines or points in a collection.
UNION_SQL = """
    SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(k.geometry, d.geometry)), 3)))
    FROM hazards_hazardarea k, hazards_hazardarea d
    WHERE k.id = %s AND d.id = %s
"""


def hazard_area_overlap_candidates(*, hazard: HazardArea, user, limit: int = CANDIDATE_LIMIT) -> list[HazardArea]:
    """Other live, open hazardous areas visible to `user` that overlap this one by more than
    HAZARD_OVERLAP_THRESHOLD of the smaller of the two: probably the same land, surveyed twice.

    Each carries `overlap_m2` (ST_Area of ST_Intersection, on the geography) and `share` (the
    overlap as a part of the smaller area), largest share first. ST_Intersects comes first so
    that PostGIS narrows the search with the GiST index before computing any intersection.
    """
    target = HazardArea.objects.get(pk=hazard.pk)
    threshold = float(settings.HAZARD_OVERLAP_THRESHOLD)
    here = Subquery(HazardArea.all_objects.filter(pk=target.pk).order_by().values("geometry")[:1])
    candidates = (
        records_visible(HazardArea.objects.all(), user)
        .exclude(pk=target.pk)
        .filter(hazard_status=HazardArea.HazardStatus.OPEN, geometry__intersects=target.geometry)
        .select_related("organisation")
        .annotate(overlap_m2=GeographyArea(Intersection("geometry", here)))
        .annotate(
            share=F("overlap_m2") / NullIf(Least(F("area_m2"), Value(target.area_m2), output_field=FloatField()), 0.0)
        )
        .filter(share__gt=threshold)
        .order_by("-share", "-overlap_m2", "id")
    )
    return list(candidates[:limit])


# --- Merging ------------------------------------------------------------------------------------


def _union(keep: HazardArea, duplicate: HazardArea) -> GEOSGeometry:
    with connection.cursor() as cursor:
        cursor.execute(UNION_SQL, [keep.pk, duplicate.pk])
        (ewkb,) = cursor.fetchone()
    return GEOSGeometry(memoryview(ewkb))


def _released_m2(hazard: HazardArea) -> float:
    """Area released by the hazard's activities that count or may count (all but rejected)."""
    totals = (
        LandReleaseActivity.objects.filter(hazard_area=hazard)
        .exclude(status=RecordStatus.REJECTED)
        .aggregate(**{name: Sum(name) for name in RELEASED_AREAS})
    )
    return sum(value or 0 for value in totals.values())


@transaction.atomic
def hazard_area_merge(*, keep: HazardArea, duplicate: HazardArea, user, reason: str = "") -> HazardArea:
    """Merges `duplicate` into `keep`: one hazardous area for one piece of contaminated land.

    The kept polygon becomes the union of both (valid, a multipolygon); the contamination
    types and blocked land uses of both are kept; land release activities (and community
    reports that led to the duplicate) move to the kept area; the duplicate is soft-deleted
    ("merged into ..."); released and remaining areas are recomputed. A union only grows the
    area, yet both areas' activities now count on it: released area must still not exceed
    the hazardous area (DOMAIN.md invariant), else nothing is merged. Authority only, with
    `accounts.merge_record`.
    """
    from community.models import CommunityReport

    keep, duplicate = merge_pair_lock(HazardArea, keep, duplicate, user)
    text = merge_reason(keep=keep, duplicate=duplicate, reason=reason)
    area_before = keep.area_m2
    now = timezone.now()
    with recorded(user=user, action="merge", reason=text, merged=duplicate.reference):
        keep.geometry = _union(keep, duplicate)
        for name in ("contamination_types", "blocked_land_use"):
            values = getattr(keep, name)
            setattr(keep, name, [*values, *(v for v in getattr(duplicate, name) if v not in values)])
        hazard_area_validate(keep)
        stamp(keep, user)
        keep.save()
        keep.refresh_from_db()
        # Raised, not asserted: `python -O` drops asserts, and this guard must roll the merge back.
        if keep.area_m2 + AREA_TOLERANCE_M2 < area_before:
            raise RuntimeError("a union never shrinks a hazardous area")

        LandReleaseActivity.all_objects.filter(hazard_area=duplicate).update(
            hazard_area=keep, updated_at=now, updated_by=user, version=F("version") + 1
        )
        CommunityReport.all_objects.filter(hazard_area=duplicate).update(
            hazard_area=keep, updated_at=now, updated_by=user, version=F("version") + 1
        )
        released = _released_m2(keep)
        if released > keep.area_m2 + AREA_TOLERANCE_M2:
            raise ApplicationError(
                _("The record is not valid."),
                errors={
                    "duplicate": [
                        _(
                            "Together, the activities of both areas released %(released).0f m², more than the "
                            "merged area (%(area).0f m²): correct the activities before merging."
                        )
                        % {"released": released, "area": keep.area_m2}
                    ]
                },
            )

        record_soft_delete(record=duplicate, user=user, reason=text, action="merge", merged_into=keep)
        with recorded(user=user, action="merge", reason=text, merged=duplicate.reference):
            HazardArea.all_objects.filter(pk=duplicate.pk).update(status_reason=text)
            # The duplicate is recomputed too: restored, it must not count activities it lost.
            hazard_areas_recompute(ids=[keep.pk, duplicate.pk])
    keep = HazardArea.objects.get(pk=keep.pk)
    if keep.released_area_m2 > keep.area_m2 + AREA_TOLERANCE_M2:
        raise RuntimeError("released area exceeds the hazardous area")
    return keep
