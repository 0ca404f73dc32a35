"""What an import costs: a CSV of 100,000 incidents (each with one casualty) checked (the dry run) and
then confirmed (the rows the check built, written), against PostgreSQL's
`COPY` of the same rows: the file's text into a table of its columns, and the incidents and
casualties the import wrote, copied back into their own tables (their row-by-row history triggers
standing aside, as the import's own write has them do, its history written in one statement).

Run with `.venv/bin/python bench/imports.py [--rows N]`. It makes a database of its own
(`bench_imports`, from template1 like the test database), migrates it, loads the country and drops
it at the end: the national database is never touched.
"""

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts import roles  # noqa: E402
from bench._support import member, on_own_database, record  # noqa: E402
from core.history import inserts_recorded_in_bulk  # noqa: E402
from field import services  # noqa: E402
from incidents.models import Casualty, Incident  # noqa: E402
from reference.models import Organisation  # noqa: E402

DATABASE = "bench_imports"
HEADER = ("external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude,"
          "casualty_sex,casualty_age,casualty_outcome,casualty_civilian_status")  # fmt: skip


def incidents_csv(rows: int) -> bytes:
    """Incidents spread over central Mali (the Mopti and Ségou régions), one victim each."""
    lines = [HEADER]
    for number in range(rows):
        lon = -5.0 + (number % 400) * 0.006
        lat = 14.6 + (number // 400 % 250) * 0.005
        sex, outcome = ("male", "killed") if number % 3 else ("female", "injured")
        day = f"2023-{1 + number % 12:02d}-{1 + number % 28:02d}"
        lines.append(f"B-{number:06d},{day},improvised,improvised_av_mine,stepped_on,{lon:.5f},{lat:.5f},"
                     f"{sex},{5 + number % 60},{outcome},civilian")  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def run(rows: int) -> None:
    call_command("load_reference_data", verbosity=0)
    user = member("bench-import", Organisation.objects.get(acronym="HI"), roles.PARTNER_DATA_MANAGER)
    content = incidents_csv(rows)
    organisation = Organisation.objects.get(acronym="HI")

    start = time.perf_counter()
    record_import = services.import_start(user=user, organisation=organisation, record_type="incidents",
                                          name="incidents.csv", chunks=[content], inline=True)  # fmt: skip
    checked = time.perf_counter() - start
    assert record_import.status == "checked", record_import.error
    assert record_import.to_create == rows, (record_import.to_create, record_import.rejected)
    start = time.perf_counter()
    record_import = services.import_confirm(record_import=record_import, user=user, inline=True)
    written = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert record_import.status == "imported", record_import.error

    start = time.perf_counter()
    again = services.import_start(user=user, organisation=organisation, record_type="incidents",
                                  name="incidents.csv", chunks=[content], inline=True)  # fmt: skip
    rechecked = time.perf_counter() - start
    assert again.unchanged == rows, (again.unchanged, again.rejected)

    print(f"import of {rows:,} incidents with one casualty each ({len(content) / 2**20:.1f} MB of CSV), "
          "partner data manager, in process")  # fmt: skip
    print(f"  dry run (read, map, places, rules)   {checked:7.2f} s  {rows / checked:9,.0f} rows/s")
    print(f"  confirm (the checked rows written)   {written:7.2f} s  {rows / written:9,.0f} rows/s")
    print(
        f"  dry run + confirm                    {checked + written:7.2f} s  {rows / (checked + written):9,.0f} rows/s"
    )
    print(f"  the same file again (all unchanged)  {rechecked:7.2f} s")
    copy_text, copy_rows = _copy_floor(content)
    print(f"  COPY of the CSV into a text table    {copy_text:7.2f} s  ratio {(checked + written) / copy_text:6.1f}x")
    print(f"  COPY of the written rows             {copy_rows:7.2f} s  ratio {(checked + written) / copy_rows:6.1f}x"
          f" (confirm alone {written / copy_rows:.1f}x)")  # fmt: skip
    print(f"  peak memory of the process (RSS)     {peak / 2**20:7.1f} MB")
    record("import", f"{rows:,} incidents: dry run + confirm, against COPY of the written rows", checked + written,
           copy_rows, rows_per_second=round(rows / (checked + written)), dry_run_s=round(checked, 2),
           confirm_s=round(written, 2), peak_rss_mb=round(peak / 2**20))  # fmt: skip


def _copy_floor(content: bytes) -> tuple[float, float]:
    """COPY of the file into a table of its columns; COPY of the incidents and casualties the import
    wrote, back into their tables with the history triggers standing aside (rolled back)."""
    with connection.cursor() as cursor:
        columns = ", ".join(f"{name} text" for name in HEADER.split(","))
        cursor.execute(f"CREATE TEMP TABLE bench_raw ({columns})")
        start = time.perf_counter()
        with cursor.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(content)
        text = time.perf_counter() - start
    dumps = {}
    with connection.cursor() as cursor:
        for table in ("incidents_incident", "incidents_casualty"):
            buffer = io.BytesIO()
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            dumps[table] = buffer.getvalue()
    with transaction.atomic():
        with inserts_recorded_in_bulk(Incident, Casualty), connection.cursor() as cursor:
            cursor.execute("TRUNCATE incidents_casualty, incidents_incident CASCADE")
            start = time.perf_counter()
            for table in ("incidents_incident", "incidents_casualty"):
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(dumps[table])
            rows = time.perf_counter() - start
        # Outside the block above: its end still speaks to the database.
        transaction.set_rollback(True)
    return text, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        on_own_database(DATABASE, run, rows, IMPORT_ROOT=Path(folder))


if __name__ == "__main__":
    main()
