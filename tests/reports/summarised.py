"""The demo data set as the summary tables' tests need it: some incidents and sessions known only
by their year or month, some records deleted, committed for a test module and summarised."""

from contextlib import contextmanager

from django.core.management import call_command
from django.db import connection
from django.utils import translation

from demo.services import demo_data_delete
from reports import summaries
from reports.models import SummaryState

IMPRECISE_AND_DELETED = (
    "UPDATE incidents_incident SET date_precision = 'year', incident_date = date_trunc('year', incident_date)::date "
    "WHERE id % 17 = 0",
    "UPDATE incidents_incident SET date_precision = 'month', incident_date = date_trunc('month', incident_date)::date "
    "WHERE id % 13 = 0 AND date_precision = 'day'",
    "UPDATE incidents_incident SET deleted_at = now() WHERE id % 29 = 0",
    "UPDATE hazards_landreleaseactivity SET deleted_at = now() WHERE id % 23 = 0",
    "UPDATE education_riskeducationsession SET date_precision = 'year', session_date = "
    "date_trunc('year', session_date)::date WHERE id % 11 = 0",
)


def reset_summaries() -> None:
    """Empty summary tables, never refreshed: the statistics count the records again."""
    for summary in summaries.SUMMARIES.values():
        summary.table.objects.all().delete()
    SummaryState.objects.update(refreshed_at=None, changed_at=None, rows=0)


@contextmanager
def summarised_demo_data(django_db_blocker, *, seed: int):
    """Within: the demo data of `seed`, made imprecise and partly deleted, every summary refreshed.
    Afterwards the records and the summaries are gone."""
    with django_db_blocker.unblock(), translation.override("en"):
        call_command("generate_demo_data", "--scale", "demo", "--seed", str(seed), verbosity=0)
        with connection.cursor() as cursor:
            for statement in IMPRECISE_AND_DELETED:
                cursor.execute(statement)
        for name in summaries.SUMMARIES:
            summaries.refresh(name)
        try:
            yield
        finally:
            reset_summaries()
            demo_data_delete()
