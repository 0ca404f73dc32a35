"""Reconciling incident reports: the same accident reported by several sources (an NGO, the UN,
the media, a hospital) becomes one incident that keeps every source and its reliability
(DOMAIN.md, Workflow; IMSMA NG reconciliation of incoming reports).
"""

import datetime
import math

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import Polygon
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Abs, Cast, Greatest, Least
from django.utils import timezone

from core.dates import PeriodEnd, PeriodStart, period_end, period_start
from core.history import recorded
from core.models import DatePrecision
from core.selectors import records_visible
from core.services import stamp
from core.validation import Problems, full_clean_into
from core.workflow import merge_pair_lock, merge_reason, record_soft_delete
from incidents.models import Casualty, CasualtyIdentity, IdentityAccessLog, Incident, IncidentSource
from incidents.services import incident_touch
from reference.models import OrdnanceCategory, Organisation

# A review list, not an export: the few most likely ones.
CANDIDATE_LIMIT = 50

# Weights of the likelihood score (they add up to 1).
WEIGHT_DISTANCE = 0.3
WEIGHT_DAYS = 0.2
WEIGHT_CASUALTIES = 0.3
WEIGHT_DEVICE = 0.2

# A date known only by its month or year is no evidence that two reports are one event: such a
# pair is listed only when what happened agrees too, with casualty counts at least this alike
# and the same or a compatible device.
COARSE_MIN_CASUALTY_SCORE = 0.5
# How many days at most a period's first day lies before its last: 30 in a month, 365 in a leap year.
LONGEST_PERIOD_DAYS = {DatePrecision.DAY: 0, DatePrecision.MONTH: 30, DatePrecision.YEAR: 365}

C = OrdnanceCategory
# Sources name the same device differently: a hospital says "mine" where an operator says
# "improvised anti-personnel mine", and the Mali rule turns improvised AV mines into AP ones.
DEVICE_FAMILIES = (
    frozenset({C.AP_MINE, C.AV_MINE, C.UNSPECIFIED_MINE, C.IMPROVISED_AP_MINE, C.IMPROVISED_AV_MINE}),
    frozenset({C.IMPROVISED_AP_MINE, C.IMPROVISED_AV_MINE, C.OTHER_IED, C.BOOBY_TRAP}),
    frozenset({C.UXO, C.AXO, C.CLUSTER_MUNITION_REMNANT}),
)
# A device nobody identified may be any device.
UNIDENTIFIED_DEVICES = frozenset({C.UNKNOWN, C.OTHER})

# How the reporting organisation of a merged report is recorded as a source of the incident.
SOURCE_TYPE_BY_KIND = {
    Organisation.Kind.NATIONAL_AUTHORITY: IncidentSource.SourceType.AUTHORITY,
    Organisation.Kind.GOVERNMENT: IncidentSource.SourceType.AUTHORITY,
    Organisation.Kind.UN_AGENCY: IncidentSource.SourceType.UN,
    Organisation.Kind.HEALTH_PROVIDER: IncidentSource.SourceType.HEALTH,
}


class AsGeography(Func):
    """A geometry cast to geography: distances in metres on the spheroid."""

    template = "(%(expressions)s)::geography"
    output_field = GeometryField(geography=True, srid=4326)


class GeographyDistance(Func):
    """ST_Distance of two geometries, in metres on the spheroid."""

    function = "ST_Distance"
    output_field = FloatField()

    def __init__(self, a, b):
        super().__init__(AsGeography(a), AsGeography(b))


class GeographyDWithin(Func):
    """ST_DWithin of two geometries: within `metres` on the spheroid."""

    function = "ST_DWithin"
    output_field = BooleanField()

    def __init__(self, a, b, metres: float):
        super().__init__(AsGeography(a), AsGeography(b), Value(float(metres)))


class DaysBetween(Func):
    """date - date: whole days in PostgreSQL."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()


def compatible_devices(category: str) -> set[str]:
    """Device categories another source may have used for the same device (score 0.5)."""
    if category in UNIDENTIFIED_DEVICES:
        return set(C.values)
    compatible = set(UNIDENTIFIED_DEVICES)
    for family in DEVICE_FAMILIES:
        if category in family:
            compatible |= family
    return compatible


def _search_box(point, metres: float) -> Polygon | None:
    """A box in degrees surely holding every point within `metres`: lets PostGIS use the GiST
    index of the geometry column before measuring on the geography. None near the poles or the
    antimeridian, where a box in degrees does not work (never in Mali)."""
    # A degree of latitude is at least 110,574 m; of longitude 111,320 m × cos(latitude).
    dy = metres / 110_000
    top = abs(point.y) + dy
    if top >= 89:
        return None
    dx = metres / (111_000 * math.cos(math.radians(top)))
    if point.x - dx < -180 or point.x + dx > 180:
        return None
    return Polygon.from_bbox((point.x - dx, point.y - dy, point.x + dx, point.y + dy))


def _outcome_counts(incident: Incident) -> dict[str, int]:
    return Casualty.objects.filter(incident=incident).aggregate(
        killed=Count("id", filter=Q(outcome=Casualty.Outcome.KILLED)),
        injured=Count("id", filter=Q(outcome=Casualty.Outcome.INJURED)),
    )


def incident_duplicate_candidates(*, incident: Incident, user, limit: int = CANDIDATE_LIMIT) -> list[Incident]:
    """Other live incidents visible to `user` that probably are the same event, most likely first.

    Candidates happened within RECONCILIATION_DAYS days and RECONCILIATION_DISTANCE_M metres
    (ST_DWithin on the geography). Their score, from 0 to 1, weighs how near in place and
    time they are, how alike their casualty counts (killed, injured) are and whether the device
    category is the same or compatible. Each one carries `distance_m`, `days_apart`, `killed`,
    `injured` and `score`, all computed in one SQL query.

    A date known only by its month or year is a period (core.dates): `days_apart` is the gap
    between the two periods (0 when they overlap), and nearness in time is scaled down by the
    share of the longer period the window covers, so a year-precise record and any day of its
    year are compatible, but weakly. Such a pair is listed only when its casualty counts and
    device agree as well (COARSE_MIN_CASUALTY_SCORE): a shared year is never enough.
    """
    days = settings.RECONCILIATION_DAYS
    metres = float(settings.RECONCILIATION_DISTANCE_M)
    target = Incident.objects.get(pk=incident.pk)
    counts = _outcome_counts(target)
    here = Subquery(Incident.all_objects.filter(pk=target.pk).order_by().values("location")[:1])
    window = datetime.timedelta(days=days)
    first = period_start(target.incident_date, target.date_precision)
    last = period_end(target.incident_date, target.date_precision)
    target_span = (last - first).days + 1

    candidates = records_visible(Incident.objects.all(), user).exclude(pk=target.pk)
    # One index range per precision (a stored date is the first day of its period), then the
    # exact overlap of the candidate's period with the target's, widened by the window.
    near_in_time = Q()
    for precision, longest in LONGEST_PERIOD_DAYS.items():
        lowest = first - window - datetime.timedelta(days=longest)
        near_in_time |= Q(date_precision=precision, incident_date__range=(lowest, last + window))
    candidates = candidates.filter(near_in_time).alias(
        period_start=PeriodStart(F("incident_date"), F("date_precision")),
        period_end=PeriodEnd(F("incident_date"), F("date_precision")),
    )
    candidates = candidates.filter(period_start__lte=last + window, period_end__gte=first - window)
    # The box uses the spatial index; ST_DWithin then measures exactly.
    box = _search_box(target.location, metres)
    if box is not None:
        candidates = candidates.filter(location__bboverlaps=box)
    candidates = candidates.filter(GeographyDWithin("location", here, metres))

    killed, injured = counts["killed"], counts["injured"]
    casualty_gap = Abs(F("killed") - Value(killed)) + Abs(F("injured") - Value(injured))
    casualty_scale = Greatest(F("killed") + F("injured"), Value(killed + injured), Value(1))
    compatible = compatible_devices(target.device_category) - {target.device_category}
    candidates = (
        candidates.select_related("organisation")
        .annotate(
            distance_m=GeographyDistance("location", here),
            # The gap between the two periods: 0 when they overlap.
            days_apart=Greatest(
                Value(0),
                DaysBetween(F("period_start"), Value(last)),
                DaysBetween(Value(first), F("period_end")),
            ),
            # PostgreSQL computes each of these once per row, however often the score repeats them.
            killed=Count("casualties", filter=Q(casualties__outcome=Casualty.Outcome.KILLED)),
            injured=Count("casualties", filter=Q(casualties__outcome=Casualty.Outcome.INJURED)),
        )
        .alias(
            distance_score=Value(1.0) - F("distance_m") / Value(metres),
            # Exact days keep the whole weight; a period longer than the window, a share of it.
            days_score=(Value(1.0) - Cast(F("days_apart"), FloatField()) / Value(float(days + 1)))
            * Least(
                Value(1.0),
                Value(float(days + 1))
                / Cast(
                    Greatest(DaysBetween(F("period_end"), F("period_start")) + Value(1), Value(target_span)),
                    FloatField(),
                ),
            ),
            casualty_score=Greatest(
                Value(0.0), Value(1.0) - Cast(casualty_gap, FloatField()) / Cast(casualty_scale, FloatField())
            ),
            device_score=Case(
                When(device_category=target.device_category, then=Value(1.0)),
                When(device_category__in=compatible, then=Value(0.5)),
                default=Value(0.0),
                output_field=FloatField(),
            ),
        )
        .annotate(
            score=Value(WEIGHT_DISTANCE) * F("distance_score")
            + Value(WEIGHT_DAYS) * F("days_score")
            + Value(WEIGHT_CASUALTIES) * F("casualty_score")
            + Value(WEIGHT_DEVICE) * F("device_score")
        )
        .order_by("-score", "distance_m", "id")
    )
    if target.date_precision != DatePrecision.DAY:
        candidates = candidates.filter(casualty_score__gte=COARSE_MIN_CASUALTY_SCORE, device_score__gt=0)
    else:
        candidates = candidates.filter(
            Q(date_precision=DatePrecision.DAY) | Q(casualty_score__gte=COARSE_MIN_CASUALTY_SCORE, device_score__gt=0)
        )
    return list(candidates[:limit])


# --- Merging ------------------------------------------------------------------------------------


def _same_person(kept: Casualty, other: Casualty, *, exact: bool) -> bool:
    """Same outcome, sex and civilian status; the same age when both sources give one (first
    pass), else the same age group (second pass). Two different names, or two survivor records,
    are two people."""
    if (kept.outcome, kept.sex, kept.civilian_status) != (other.outcome, other.sex, other.civilian_status):
        return False
    if exact and (kept.age is None or other.age is None or kept.age != other.age):
        return False
    if not exact and ((kept.age is not None and other.age is not None) or kept.age_group != other.age_group):
        return False
    names = {identity.full_name.strip().casefold() for identity in (_identity(kept), _identity(other)) if identity}
    if len(names) > 1:
        return False
    return not (_survivor(kept) is not None and _survivor(other) is not None)


def _survivor(casualty: Casualty):
    try:
        return casualty.survivor
    except Casualty.survivor.RelatedObjectDoesNotExist:
        return None


def _identity(casualty: Casualty) -> CasualtyIdentity | None:
    try:
        return casualty.identity
    except Casualty.identity.RelatedObjectDoesNotExist:
        return None


def casualties_matched(kept: list[Casualty], others: list[Casualty]) -> dict[int, Casualty]:
    """Each casualty of `others` that is one of `kept`, by id; one kept casualty matches once."""
    matched: dict[int, Casualty] = {}
    taken: set[int] = set()
    for exact in (True, False):
        for other in others:
            if other.pk in matched:
                continue
            for candidate in kept:
                if candidate.pk not in taken and _same_person(candidate, other, exact=exact):
                    matched[other.pk] = candidate
                    taken.add(candidate.pk)
                    break
    return matched


def _casualty_drop(duplicate: Casualty, kept: Casualty, user) -> None:
    """One person counted once: what only the duplicate knew of them goes to the kept casualty
    (identity, survivor record, identity reads), then the duplicate is deleted (its history stays)."""
    from assistance.models import Survivor

    now = timezone.now()
    identity, kept_identity = _identity(duplicate), _identity(kept)
    if identity is not None and kept_identity is None:
        CasualtyIdentity.objects.filter(pk=identity.pk).update(casualty=kept, updated_at=now, updated_by=user)
    elif identity is not None:
        missing = {
            name: getattr(identity, name)
            for name in ("date_of_birth", "address", "phone", "contact_person")
            if not getattr(kept_identity, name) and getattr(identity, name)
        }
        if missing:
            CasualtyIdentity.objects.filter(pk=kept_identity.pk).update(**missing, updated_at=now, updated_by=user)
    if _survivor(duplicate) is not None:
        Survivor.all_objects.filter(casualty=duplicate).update(
            casualty=kept, updated_at=now, updated_by=user, version=F("version") + 1
        )
    # The log of who read this person's identity must outlive the duplicate row.
    IdentityAccessLog.objects.filter(casualty=duplicate).update(casualty=kept)
    duplicate.delete()


def _source_for_report(incident: Incident, *, into: Incident) -> IncidentSource:
    """The merged report itself, as a source of the kept incident."""
    organisation = incident.organisation
    return IncidentSource(
        incident=into,
        source_type=SOURCE_TYPE_BY_KIND.get(organisation.kind, IncidentSource.SourceType.OPERATOR),
        organisation=organisation,
        name=organisation.name[:200],
        reliability=IncidentSource.Reliability.PROBABLE,
        reported_on=timezone.localtime(incident.created_at).date() if incident.created_at else None,
        source_reference=incident.reference,
    )


@transaction.atomic
def incident_merge(*, keep: Incident, duplicate: Incident, user, reason: str = "") -> Incident:
    """Merges `duplicate` into `keep`: one accident, every source kept (DOMAIN.md, Workflow).

    The duplicate's sources move with their reliability, and its own report becomes a source
    ("probable"); a casualty of the duplicate that is one of the kept incident's is counted
    once, the others move; the duplicate is soft-deleted ("merged into ...") and leaves every
    list and figure. Authority only, with `accounts.merge_record`.
    """
    keep, duplicate = merge_pair_lock(Incident, keep, duplicate, user)
    text = merge_reason(keep=keep, duplicate=duplicate, reason=reason)
    now = timezone.now()
    with recorded(user=user, action="merge", reason=text, merged=duplicate.reference):
        IncidentSource.objects.filter(incident=duplicate).update(incident=keep, updated_at=now, updated_by=user)
        source = _source_for_report(duplicate, into=keep)
        problems = Problems()
        full_clean_into(source, problems)
        problems.raise_if_any()
        stamp(source, user)
        source.save()

        related = ("identity", "survivor")
        kept = list(Casualty.objects.filter(incident=keep).select_related(*related).order_by("id"))
        others = list(Casualty.objects.filter(incident=duplicate).select_related(*related).order_by("id"))
        matched = casualties_matched(kept, others)
        for other in others:
            if other.pk in matched:
                _casualty_drop(other, matched[other.pk], user)
        moving = [c for c in others if c.pk not in matched]
        taken = {c.external_id for c in kept if c.external_id}
        # External identifiers are unique per incident: a clash keeps the kept incident's.
        clashing = [c.pk for c in moving if c.external_id in taken]
        Casualty.objects.filter(pk__in=clashing).update(external_id=None)
        Casualty.objects.filter(pk__in=[c.pk for c in moving]).update(
            incident=keep, updated_at=now, updated_by=user, version=F("version") + 1
        )

        record_soft_delete(record=duplicate, user=user, reason=text, action="merge", merged_into=keep)
        with recorded(user=user, action="merge", reason=text, merged=duplicate.reference):
            Incident.all_objects.filter(pk=duplicate.pk).update(status_reason=text)
            incident_touch(keep.pk, user)
    return Incident.objects.get(pk=keep.pk)
