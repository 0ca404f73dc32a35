from django.db.models import Count, F, QuerySet
from django.db.models.functions import ExtractYear

from core import policy
from core.dates import month_expression
from core.statistics import AreaGroup, grouped_statistics
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
    # NULL for an incident known only by its year (core.dates.month_expression).
    "month": month_expression("incident__incident_date", "incident__date_precision"),
    # By P-code, at the level asked (core.statistics.area_pcode).
    "admin_area": AreaGroup("incident__admin_area"),
    "device_category": F("incident__device_category"),
    "civilian_status": None,
    "sex": None,
    "age_group": None,
    "outcome": None,
}


def statistics_grouping(group_by: list[str]) -> list[str]:
    """The groups of a statistics request as its rows carry them: a month comes with its year, so
    that an incident known only by its year counts in that year under `month: null`, never in a
    month."""
    if "month" in group_by and "year" not in group_by:
        at = group_by.index("month")
        return [*group_by[:at], "year", *group_by[at:]]
    return group_by


def casualty_statistics(
    *, casualties: QuerySet[Casualty], group_by: list[str], include_submitted: bool, admin_area_level: int | None = None
) -> list[dict]:
    """Casualty counts grouped as the Landmine Monitor tables need, in one SQL query.

    Only approved incidents count (DOMAIN.md, Workflow) unless the authority asks for
    submitted ones too; a deleted (or merged) incident never counts. Identities are never
    read here. Grouped by month, the rows carry the year too (`statistics_grouping`).
    """
    return grouped_statistics(
        casualties,
        groups=STATISTICS_GROUPS,
        group_by=statistics_grouping(group_by),
        measures={"count": Count("id")},
        include_submitted=include_submitted,
        admin_area_level=admin_area_level,
        via="incident__",
    )


# An incident's class and device category group as they are.
INCIDENT_STATISTICS_GROUPS = {
    "year": ExtractYear("incident_date"),
    # NULL for an incident known only by its year (core.dates.month_expression).
    "month": month_expression("incident_date", "date_precision"),
    "admin_area": AreaGroup("admin_area"),
    "incident_class": None,
    "device_category": None,
}


def incident_statistics(
    *, incidents: QuerySet[Incident], group_by: list[str], include_submitted: bool, admin_area_level: int | None = None
) -> list[dict]:
    """Incident counts (Landmine Monitor: incidents by year, area, class and device), in one SQL
    query, by the rules of the casualty counts: approved incidents only unless the authority asks
    for submitted ones, never a deleted or merged one; by month, with the year."""
    return grouped_statistics(
        incidents,
        groups=INCIDENT_STATISTICS_GROUPS,
        group_by=statistics_grouping(group_by),
        measures={"count": Count("id")},
        include_submitted=include_submitted,
        admin_area_level=admin_area_level,
    )
