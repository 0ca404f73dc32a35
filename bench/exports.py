"""What an export costs: every casualty as CSV through the export task (rows streamed from a
server-side cursor, written as they come), against PostgreSQL's own `COPY … TO STDOUT` of the same
columns, with the exporting process's peak memory; then every hazardous area as GeoJSON against one
`json_agg` statement building the same FeatureCollection from the export's own query.

Run on a database holding demo data, e.g. the `large` scale (1.5 million casualties):
    DATABASE_URL=postgis://mineaction:mineaction@127.0.0.1:5432/mineaction_large .venv/bin/python bench/exports.py
`--trace-memory` also counts the Python allocations of the export (tracemalloc; it slows the export
down several times, so its time is then not comparable). Everything happens in a transaction that is
rolled back; the files are written to a temporary folder.
"""

import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.contrib.gis.db.models.functions import AsGeoJSON  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402

from accounts import roles  # noqa: E402
from bench._support import member, record, rolled_back  # noqa: E402
from incidents.models import Casualty  # noqa: E402
from reference.models import Organisation  # noqa: E402
from reports.models import Export  # noqa: E402
from reports.services import export_write  # noqa: E402

COPY = """COPY (
    SELECT c.id, i.status, o.acronym, i.reference, c.outcome, c.sex, c.age_group, c.civilian_status
    FROM incidents_casualty c
    JOIN incidents_incident i ON i.id = c.incident_id
    JOIN reference_organisation o ON o.id = i.organisation_id
    WHERE i.deleted_at IS NULL
    ORDER BY c.id
) TO STDOUT WITH (FORMAT csv, HEADER)"""


GEOJSON = """SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg(json_build_object(
    'type', 'Feature', 'id', t.id, 'geometry', t.geometry::json, 'properties', to_jsonb(t) - 'geometry')))::text
FROM ({rows}) t"""


def _megabytes_rss() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    total = Casualty.objects.count()
    if not total:
        sys.exit("No casualties: run `manage.py generate_demo_data --scale large` first.")
    print(f"CSV export of every casualty ({total:,}), authority user")
    rolled_back(run)


def run() -> None:
    authority = Organisation.objects.get(kind=Organisation.Kind.NATIONAL_AUTHORITY)
    user = member("bench.exports", authority, roles.IM_OFFICER)
    with tempfile.TemporaryDirectory() as folder, override_settings(EXPORT_ROOT=Path(folder)):
        export = Export.objects.create(
            owner=user, resource="casualties", format="csv", filters={}, expires_at="2999-01-01T00:00:00Z"
        )
        rss_before = _megabytes_rss()
        trace = "--trace-memory" in sys.argv
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        export_write(export_id=export.pk)
        task_seconds = time.perf_counter() - started
        python_peak = tracemalloc.get_traced_memory()[1] if trace else None
        tracemalloc.stop()
        rss_after = _megabytes_rss()
        export.refresh_from_db()
        assert export.status == Export.Status.DONE, export.error
        size = (Path(folder) / export.file_path).stat().st_size

        copied = Path(folder) / "copy.csv"
        started = time.perf_counter()
        with connection.cursor() as cursor, cursor.copy(COPY) as copy, open(copied, "wb") as out:
            for block in copy:
                out.write(block)
        copy_seconds = time.perf_counter() - started

    print(f"  export task:       {task_seconds:7.1f} s, {export.rows:,} rows, {size / 1e6:.0f} MB")
    print(f"  COPY TO STDOUT:    {copy_seconds:7.1f} s, {copied.name}")
    print(f"  ratio:             {task_seconds / copy_seconds:7.2f}")
    if python_peak is not None:
        print(f"  peak Python memory during the export: {python_peak / 1e6:.1f} MB (tracemalloc)")
    print(f"  process peak RSS: {rss_after:.0f} MB (before the export {rss_before:.0f} MB)")
    record("exports", f"CSV of every casualty ({export.rows:,} rows)", task_seconds, copy_seconds, target=2.0,
           peak_rss_mb=round(rss_after), rss_before_mb=round(rss_before), size_mb=round(size / 1e6))  # fmt: skip
    geojson(user)


def geojson(user) -> None:
    """Every hazardous area as GeoJSON, against one `json_agg` over the export's own rows."""
    from core import registry
    from core.selectors import scoped
    from hazards.models import HazardArea
    from reports.selectors import GEOMETRY, export_columns

    with tempfile.TemporaryDirectory() as folder, override_settings(EXPORT_ROOT=Path(folder)):
        export = Export.objects.create(
            owner=user, resource="hazard-areas", format="geojson", filters={}, expires_at="2999-01-01T00:00:00Z"
        )
        started = time.perf_counter()
        export_write(export_id=export.pk)
        task_seconds = time.perf_counter() - started
        # Before the statement below, which holds its whole answer in this process.
        peak = _megabytes_rss()
        export.refresh_from_db()
        assert export.status == Export.Status.DONE, export.error
        columns = export_columns(registry.get(HazardArea), geometry=True)
        queryset = scoped(HazardArea.objects.all(), user).order_by("id")
        queryset = queryset.annotate(**{f"_export_{GEOMETRY}": AsGeoJSON("geometry", precision=7)})
        sql, params = queryset.values_list(*columns.paths, f"_export_{GEOMETRY}").query.sql_with_params()
        # The geometry column under its own name, for the statement to take it out of the properties.
        sql = sql.replace(f'AS "_export_{GEOMETRY}"', 'AS "geometry"')
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(GEOJSON.format(rows=sql), params)
            features = len(json.loads(cursor.fetchone()[0])["features"])
        raw_seconds = time.perf_counter() - started
    assert features == export.rows, (features, export.rows)
    print(f"GeoJSON export of every hazardous area ({export.rows:,})")
    print(f"  export task:       {task_seconds:7.1f} s")
    print(f"  one json_agg:      {raw_seconds:7.1f} s")
    print(f"  ratio:             {task_seconds / raw_seconds:7.2f}")
    record("exports", f"GeoJSON of every hazardous area ({export.rows:,})", task_seconds, raw_seconds, target=2.0,
           peak_rss_mb=round(peak))  # fmt: skip


if __name__ == "__main__":
    main()
