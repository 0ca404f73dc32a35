from django.db.models import CharField, Count, F, Func, QuerySet, Value
from django.db.models.functions import ExtractYear

from core import policy
from core.models import RecordStatus
from incidents.models import Casualty, CasualtyIdentity, IdentityAccessLog, Incident

IDENTITY_PERMISSION = "incidents.view_casualtyidentity"


def casualty_identity_get(*, user, casualty: Casualty, channel: str, path: str = "") -> CasualtyIdentity | None:
    """A casualty's identity, only for a role that holds the permission to read it.

    Every read is logged (who, when, which record, API or page): personal data of people in
    a conflict zone.
    """
    policy.check_read_identity(user, casualty)
    identity = CasualtyIdentity.objects.filter(casualty=casualty).first()
    if identity is not None:
        IdentityAccessLog.objects.create(user=user, casualty=casualty, channel=channel, path=path[:300])
    return identity


def incidents_reclassified() -> QuerySet[Incident]:
    """Data-quality list: incidents whose device category differs from what was reported
    (the Mali rule on improvised AV mines set off by a person)."""
    return (
        Incident.objects.exclude(device_category=F("device_category_reported"))
        .select_related("organisation", "admin_area")
        .order_by("-incident_date", "reference")
    )


# --- Statistics ------------------------------------------------------------------------------

# A casualty's own fields group as they are; the others are computed from its incident.
STATISTICS_GROUPS = {
    "year": ExtractYear("incident__incident_date"),
    "month": Func(F("incident__incident_date"), Value("YYYY-MM"), function="to_char", output_field=CharField()),
    "admin_area": F("incident__admin_area__pcode"),
    "device_category": F("incident__device_category"),
    "civilian_status": None,
    "sex": None,
    "age_group": None,
    "outcome": None,
}


def casualty_statistics(*, casualties: QuerySet[Casualty], group_by: list[str], include_submitted: bool) -> list[dict]:
    """Casualty counts grouped as the Landmine Monitor tables need, in one SQL query.

    Only approved incidents count (DOMAIN.md, Workflow) unless the authority asks for
    submitted ones too; a deleted (or merged) incident never counts. Identities are never
    read here.
    """
    statuses = [RecordStatus.APPROVED, RecordStatus.SUBMITTED] if include_submitted else [RecordStatus.APPROVED]
    rows = (
        casualties.filter(incident__status__in=statuses, incident__deleted_at__isnull=True)
        .annotate(**{name: STATISTICS_GROUPS[name] for name in group_by if STATISTICS_GROUPS[name] is not None})
        .values(*group_by)
        .annotate(count=Count("id"))
        .order_by(*group_by)
    )
    return list(rows)
