from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet

from incidents.models import Casualty, CasualtyIdentity, Incident

IDENTITY_PERMISSION = "incidents.view_casualtyidentity"


def casualty_identity_get(*, user, casualty: Casualty) -> CasualtyIdentity | None:
    """A casualty's identity, only for a role that holds the permission to read it."""
    if not user.has_perm(IDENTITY_PERMISSION):
        raise PermissionDenied("Reading casualty identities needs a permission this role does not have.")
    return CasualtyIdentity.objects.filter(casualty=casualty).first()


def incidents_reclassified() -> QuerySet[Incident]:
    """Data-quality list: incidents whose device category differs from what was reported
    (the Mali rule on improvised AV mines set off by a person)."""
    return (
        Incident.objects.exclude(device_category=F("device_category_reported"))
        .select_related("organisation", "admin_area")
        .order_by("-incident_date", "reference")
    )
