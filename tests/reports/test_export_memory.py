"""Exports stream: the exporting process holds no more memory for 100,000 records than for 10,000
(rows come from a server-side cursor or PostgreSQL's COPY and are written as they come)."""

import datetime
import tracemalloc

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from core.history import inserts_recorded_in_bulk
from incidents.models import Incident
from reference.models import Organisation
from reports.models import Export
from reports.services import export_write
from tests.api.helpers import incident_payload
from tests.people import member


def _copies(source: int, count: int, start: int) -> None:
    """`count` copies of an incident (each its own reference), written in one statement; their
    history trigger stands aside, as for any bulk load."""
    columns = [f.column for f in Incident._meta.concrete_fields if f.column not in ("id", "reference", "external_id")]
    listed = ", ".join(f'"{c}"' for c in columns)
    with inserts_recorded_in_bulk(Incident), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO incidents_incident ({listed}, reference) SELECT {listed}, 'MEM-' || g "  # noqa: S608
            "FROM incidents_incident, generate_series(%s, %s) g WHERE id = %s",
            [start, start + count - 1, source],
        )


@pytest.mark.parametrize("format", ["csv", "geojson"])
def test_an_export_of_100k_records_holds_no_more_memory_than_one_of_10k(db, django_user_model, settings, tmp_path,
                                                                        format):  # fmt: skip
    settings.EXPORT_ROOT = tmp_path
    officer = member(django_user_model, "awa", Organisation.objects.get(acronym="CNLPAL"), roles.IM_OFFICER)
    client = APIClient()
    client.force_authenticate(officer)
    created = client.post("/api/v1/incidents/", incident_payload(external_id="MEM"), format="json")
    assert created.status_code == 201, created.content
    source = created.json()["id"]
    peaks = {}
    for total in (10_000, 100_000):
        _copies(source, total - Incident.objects.count(), Incident.objects.count())
        export = Export.objects.create(owner=officer, resource="incidents", format=format, filters={},
                                       expires_at=timezone.now() + datetime.timedelta(days=1))  # fmt: skip
        tracemalloc.start()
        try:
            export_write(export_id=export.pk)
            peaks[total] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        export.refresh_from_db()
        assert (export.status, export.rows) == (Export.Status.DONE, total), export.error
        assert (tmp_path / export.file_path).stat().st_size > total * 50
    # Ten times the rows: the same memory, give or take a chunk of rows (2 MB).
    assert peaks[100_000] < peaks[10_000] + 2_000_000, peaks
