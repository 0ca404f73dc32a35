"""What the one door costs: the policy asked by every service, and the scoped read every list
starts from, against raw SQL on the same data.

Run with `make bench` (or `.venv/bin/python bench/one_door.py`) on a database holding demo data
(`manage.py generate_demo_data --scale national` or `large`). Writes happen in a transaction
that is rolled back: the database is left as it was.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts import roles  # noqa: E402
from bench._support import member, rolled_back, timed  # noqa: E402
from core import policy  # noqa: E402
from core.models import RecordStatus  # noqa: E402
from core.selectors import records_visible  # noqa: E402
from incidents.models import Incident  # noqa: E402
from incidents.services import incident_update  # noqa: E402

ROUNDS = 200


def raw_count(organisation_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM incidents_incident WHERE deleted_at IS NULL"
            " AND (status = 'approved' OR organisation_id = %s)",
            [organisation_id],
        )
        return cursor.fetchone()[0]


def main() -> None:
    incidents = Incident.objects.count()
    if incidents == 0:
        sys.exit("No incidents: run `manage.py generate_demo_data --scale national` first.")
    rolled_back(run, incidents)


def run(incidents: int) -> None:
    draft = Incident.objects.filter(status=RecordStatus.DRAFT).select_related("organisation").first()
    organisation = draft.organisation
    user = member("bench-partner", organisation, roles.PARTNER_DATA_MANAGER)

    print(f"one door, on {incidents:,} incidents; partner {organisation.acronym}; median of {ROUNDS} runs")

    with CaptureQueriesContext(connection) as queries:
        policy.check_change(user, draft)
    check = timed(lambda: policy.check_change(user, draft), ROUNDS)
    print(f"  policy.check_change:             {check * 1e6:8.0f} µs, {len(queries)} queries (first call)")

    scoped = timed(lambda: records_visible(Incident.objects.all(), user).count(), 30)
    raw = timed(lambda: raw_count(organisation.pk), 30)
    assert records_visible(Incident.objects.all(), user).count() == raw_count(organisation.pk)
    print(
        f"  partner's visible incidents:      {scoped * 1e3:8.2f} ms"
        f" (raw SQL {raw * 1e3:.2f} ms, ratio {scoped / raw:.2f})"
    )

    # A service write with the policy asked, against the same write with the policy answering yes at once.
    def update():
        incident_update(incident=draft, user=user, data={"description": "bench"})

    with_policy = timed(update, 50)
    saved = (policy.check_change, policy.check_view)
    policy.check_change = policy.check_view = lambda *args, **kwargs: None
    try:
        without = timed(update, 50)
    finally:
        policy.check_change, policy.check_view = saved
    print(
        f"  incident_update:                  {with_policy * 1e3:8.2f} ms with the policy, {without * 1e3:.2f} ms"
        f" without (+{(with_policy - without) * 1e3:.2f} ms, ratio {with_policy / without:.2f})"
    )


if __name__ == "__main__":
    main()
