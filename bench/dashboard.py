"""What the dashboard's figures cost: every figure query the page at `/` runs for an authority user
(no filter, then one région and one year), against the same figures written as raw SQL on the
same data, with the ratio.

Run on a database holding demo data, e.g. the `large` scale:
    DATABASE_URL=postgis://mineaction:mineaction@127.0.0.1:5432/mineaction_large .venv/bin/python bench/dashboard.py
`--rounds N` sets the runs per median (default 3). The page's figures are also timed as a reader
finds them cached (`DASHBOARD_CACHE_SECONDS`), the second time the same scope and filters are read.
Everything happens in a transaction that is rolled back: the database is left as it was.
"""

import argparse
import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts import roles  # noqa: E402
from bench._support import member, rolled_back, timed  # noqa: E402
from core.filters import admin_area_ids  # noqa: E402
from dashboard.selectors import GROUPS, cached_dashboard_figures, dashboard_figures  # noqa: E402
from hazards.models import ContaminationType  # noqa: E402
from incidents.models import Incident  # noqa: E402
from reference.models import AdministrativeArea, Organisation  # noqa: E402

# Suggested for the casualty figures: without them PostgreSQL multiplies the distinct values of each
# grouped column, expects a million groups instead of some 24,000, and sorts every casualty row on
# disk rather than hashing them. Expressions as core.statistics and core.dates write them.
# --- The same figures in raw SQL -----------------------------------------------------------------

APPROVED = "{t}.status = 'approved' AND {t}.deleted_at IS NULL"


def _period_end(table: str, column: str) -> str:
    return (
        f"CASE {table}.date_precision"
        f" WHEN 'year' THEN (date_trunc('year', {table}.{column}::timestamp) + interval '1 year'"
        f" - interval '1 day')::date"
        f" WHEN 'month' THEN (date_trunc('month', {table}.{column}::timestamp) + interval '1 month'"
        f" - interval '1 day')::date ELSE {table}.{column} END"
    )


def _where(table: str, date_column: str, area_column: str, filters: dict, *, precise_dates: bool = True):
    """Approved, not deleted, in the région and the period (a record known by its month or year
    reaches the period if any day of it does, as core.filters reads it)."""
    sql, params = [APPROVED.format(t=table)], []
    if "area_ids" in filters:
        sql.append(f"{area_column} = ANY(%s)")
        params.append(filters["area_ids"])
    if "after" in filters:
        if precise_dates:
            sql.append(f"{table}.{date_column} >= %s::date - 366 AND {_period_end(table, date_column)} >= %s")
            params += [filters["after"], filters["after"]]
        else:
            sql.append(f"{table}.{date_column} >= %s")
            params.append(filters["after"])
    if "before" in filters:
        sql.append(f"{table}.{date_column} <= %s")
        params.append(filters["before"])
    return " AND ".join(sql), params


def _region(alias: str) -> str:
    return (
        f"CASE WHEN {alias}.level = 1 THEN {alias}.pcode WHEN {alias}p.level = 1 THEN {alias}p.pcode"
        f" WHEN {alias}g.level = 1 THEN {alias}g.pcode END"
    )


def _area_joins(alias: str, column: str) -> str:
    return (
        f" LEFT JOIN reference_administrativearea {alias} ON {alias}.id = {column}"
        f" LEFT JOIN reference_administrativearea {alias}p ON {alias}p.id = {alias}.parent_id"
        f" LEFT JOIN reference_administrativearea {alias}g ON {alias}g.id = {alias}p.parent_id"
    )


def raw_queries(filters: dict) -> list[tuple[str, list]]:
    types = ", ".join(
        f"SUM(h.remaining_area_m2) FILTER (WHERE h.contamination_types @> ARRAY['{kind}']::varchar[])"
        for kind in ContaminationType.values
    )
    hazards, hazard_params = _where("h", "survey_date", "h.admin_area_id", filters)
    activities, activity_params = _where("a", "start_date", "a.admin_area_id", filters)
    casualties, casualty_params = _where("i", "incident_date", "i.admin_area_id", filters, precise_dates=False)
    sessions, session_params = _where("e", "session_date", "e.admin_area_id", filters)
    services, service_params = _where("s", "start_date", "i.admin_area_id", filters)
    return [
        (
            f"SELECT {_region('r')}, COUNT(*), SUM(h.area_m2), SUM(h.remaining_area_m2), {types},"
            " SUM(h.remaining_area_m2) FILTER (WHERE h.contamination_types = '{}')"
            f" FROM hazards_hazardarea h {_area_joins('r', 'h.admin_area_id')} WHERE {hazards} GROUP BY 1",
            hazard_params,
        ),
        (
            "SELECT EXTRACT(YEAR FROM a.start_date), COUNT(*), SUM(a.area_cancelled_m2), SUM(a.area_reduced_m2),"
            f" SUM(a.area_cleared_m2) FROM hazards_landreleaseactivity a WHERE {activities} GROUP BY 1",
            activity_params,
        ),
        (
            "SELECT t.category, SUM(t.quantity), SUM(t.quantity) FILTER (WHERE t.destroyed) FROM hazards_itemfound t"
            f" JOIN hazards_landreleaseactivity a ON a.id = t.activity_id WHERE {activities} GROUP BY 1",
            activity_params,
        ),
        (
            "SELECT EXTRACT(YEAR FROM i.incident_date), CASE WHEN i.date_precision IN ('day', 'month')"
            " THEN to_char(i.incident_date, 'YYYY-MM') END, c.outcome, c.civilian_status, c.sex, c.age_group,"
            " i.device_category, COUNT(*) FROM incidents_casualty c JOIN incidents_incident i ON i.id = c.incident_id"
            f" WHERE {casualties} GROUP BY 1, 2, 3, 4, 5, 6, 7",
            casualty_params,
        ),
        (
            "SELECT EXTRACT(YEAR FROM e.session_date), COUNT(*), SUM(e.girls), SUM(e.boys), SUM(e.women), SUM(e.men),"
            " SUM(e.with_disability), SUM(e.girls + e.boys + e.women + e.men)"
            f" FROM education_riskeducationsession e WHERE {sessions} GROUP BY 1",
            session_params,
        ),
        (
            "SELECT s.service_type, COUNT(*), COUNT(DISTINCT s.survivor_id) FROM assistance_assistanceservice s"
            # The survivor's incident tells the area: joined only to filter by it.
            + (
                " JOIN assistance_survivor v ON v.id = s.survivor_id JOIN incidents_casualty c ON c.id = v.casualty_id"
                " JOIN incidents_incident i ON i.id = c.incident_id"
                if "area_ids" in filters
                else ""
            )
            + f" WHERE {services} GROUP BY 1",
            service_params,
        ),
    ]


def raw_figures(filters: dict) -> list[list[tuple]]:
    results = []
    with connection.cursor() as cursor:
        for sql, params in raw_queries(filters):
            cursor.execute(sql, params)
            results.append(cursor.fetchall())
    return results


# --- Run -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if not Incident.objects.exists():
        sys.exit("No incidents: run `manage.py generate_demo_data --scale national` (or large) first.")
    rolled_back(run, options)


def _authority_request():
    authority = Organisation.objects.filter(kind=Organisation.Kind.NATIONAL_AUTHORITY).first()
    request = RequestFactory().get("/")
    request.user = member("bench-authority", authority, roles.IM_OFFICER)
    return request


def _busiest_region_and_year() -> tuple[AdministrativeArea, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_region('r')}, COUNT(*) FROM incidents_incident i {_area_joins('r', 'i.admin_area_id')}"
            " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        )
        pcode = cursor.fetchone()[0]
        cursor.execute("SELECT MAX(incident_date) FROM incidents_incident")
        last = cursor.fetchone()[0]
    # The last full year: the current one is still being reported.
    year = last.year - 1 if last.month < 12 else last.year
    return AdministrativeArea.objects.get(pcode=pcode, valid_to__isnull=True), year


def _check_same(django_figures, raw) -> None:
    """The raw SQL counts what the dashboard counts."""
    casualties = sum(row[-1] for row in raw[3])
    assert figures_total(django_figures, "casualties-by-year", "total") == casualties, "casualties differ"
    remaining = sum(row[3] or 0 for row in raw[0]) / 1e6
    assert abs(figures_total(django_figures, "contamination-by-region", "remaining") - remaining) < 0.01
    destroyed = sum(row[2] or 0 for row in raw[2])
    assert figures_total(django_figures, "items-destroyed", "destroyed") == destroyed, "items differ"
    services = sum(row[1] for row in raw[5])
    assert figures_total(django_figures, "victim-assistance", "count") == services, "services differ"


def figures_total(figures, slug: str, key: str):
    return figures[slug].totals[key]


def run(options) -> None:
    request = _authority_request()
    region, year = _busiest_region_and_year()
    print(
        f"dashboard figures, on {Incident.objects.count():,} incidents; authority user; median of {options.rounds} runs"
    )
    cases = [
        ("no filter", {}, {}),
        (
            f"{region.pcode} ({region.name}), {year}",
            {"admin_area": region.pcode, "date_after": f"{year}-01-01", "date_before": f"{year}-12-31"},
            {
                "area_ids": admin_area_ids(region.pcode),
                "after": datetime.date(year, 1, 1),
                "before": datetime.date(year, 12, 31),
            },
        ),
    ]
    measure(request, cases, options.rounds)


def measure(request, cases, rounds: int) -> None:
    for name, filters, raw_filters in cases:
        with CaptureQueriesContext(connection) as queries:
            figures = dashboard_figures(request=request, filters=filters, regions={})
        _check_same(figures, raw_figures(raw_filters))
        page = timed(lambda: dashboard_figures(request=request, filters=filters, regions={}), rounds)  # noqa: B023
        raw = timed(lambda: raw_figures(raw_filters), rounds)  # noqa: B023
        print(f"  {name}: {len(queries)} queries")
        print(f"    every figure:   {page * 1e3:8.0f} ms (raw SQL {raw * 1e3:.0f} ms, ratio {page / raw:.2f})")
        cached_dashboard_figures(request=request, filters=filters, regions={})
        cached = timed(lambda: cached_dashboard_figures(request=request, filters=filters, regions={}), rounds)  # noqa: B023
        print(f"    cached figures: {cached * 1e3:8.2f} ms (ratio to raw SQL {cached / raw:.4f})")
        for group, (sql, params) in zip(GROUPS, raw_queries(raw_filters), strict=True):
            django_time = timed(lambda: group.compute(request, filters, {}), rounds)  # noqa: B023
            raw_time = timed(lambda: _execute(sql, params), rounds)  # noqa: B023
            print(
                f"    {group.slugs[0]:<24} {django_time * 1e3:8.0f} ms (raw SQL {raw_time * 1e3:.0f} ms,"
                f" ratio {django_time / raw_time:.2f})"
            )


def _execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()


if __name__ == "__main__":
    main()
