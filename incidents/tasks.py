import datetime

from celery import shared_task
from django.conf import settings


@shared_task(name="incidents.pseudonymise_identities")
def pseudonymise_identities_task() -> int:
    """Nightly (django-celery-beat schedule, migration 0005): identities past their retention."""
    from core.history import recorded
    from core.policy import SYSTEM
    from incidents.services import identities_pseudonymise

    today = datetime.date.today()
    before = today.replace(year=today.year - settings.IDENTITY_RETENTION_YEARS, day=min(today.day, 28))
    # A scheduled job acts as the system: its changes are named so in the history.
    with recorded(user=SYSTEM, action="pseudonymise"):
        return identities_pseudonymise(incidents_before=before)
