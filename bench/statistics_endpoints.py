"""What a statistics request costs: `GET /api/v1/statistics/...` served in process (request, summary
table, JSON), against the raw `GROUP BY` of the same figures over the base tables and over the
summary table, with the ratios; then requests the summaries cannot answer (one organisation), which
the base tables answer. Each answer is checked against the raw figures before it is timed.

Run on a database holding demo data, e.g. the `large` scale (1.5 million casualties):
    DATABASE_URL=postgis://mineaction:mineaction@127.0.0.1:5432/mineaction_large \
        .venv/bin/python bench/statistics_endpoints.py
The summary tables are refreshed first (their build time is printed). `--rounds N` sets the runs
per median (default 5). The requests run in a transaction that is rolled back.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mineaction.settings.dev")

import django

django.setup()

from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts import roles  # noqa: E402
from bench._support import member, record, rolled_back, sampled, serving_in_process  # noqa: E402
from incidents.models import Casualty  # noqa: E402
from reference.models import Organisation  # noqa: E402
from reports import summaries  # noqa: E402

APPROVED = "{t}.status = 'approved' AND {t}.deleted_at IS NULL"
AREAS = (
    "LEFT JOIN reference_administrativearea a ON a.id = {t}.admin_area_id "
    "LEFT JOIN reference_administrativearea p ON p.id = a.parent_id "
    "LEFT JOIN reference_administrativearea g ON g.id = p.parent_id"
)
REGION = "CASE WHEN a.level = 1 THEN a.pcode WHEN p.level = 1 THEN p.pcode WHEN g.level = 1 THEN g.pcode END"

# name, request, raw SQL over the base tables, raw SQL over the summary table.
CASES = [
    (
        "casualties by year × région × device",
        "casualties/?group_by=year,admin_area,device_category&admin_area_level=1",
        f"SELECT extract(year FROM i.incident_date)::int, {REGION}, i.device_category, count(*) "
        f"FROM incidents_casualty c JOIN incidents_incident i ON i.id = c.incident_id {AREAS.format(t='i')} "
        f"WHERE {APPROVED.format(t='i')} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        "SELECT year, area_1, device_category, sum(count) FROM reports_casualtysummary "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    ),
    (
        "casualties by sex × age group × outcome, 2020",
        "casualties/?group_by=sex,age_group,outcome&date_after=2020-01-01&date_before=2020-12-31",
        "SELECT c.sex, c.age_group, c.outcome, count(*) FROM incidents_casualty c "
        f"JOIN incidents_incident i ON i.id = c.incident_id WHERE {APPROVED.format(t='i')} "
        "AND i.incident_date <= '2020-12-31' AND CASE i.date_precision WHEN 'year' THEN "
        "(date_trunc('year', i.incident_date::timestamp) + interval '1 year' - interval '1 day')::date "
        "WHEN 'month' THEN (date_trunc('month', i.incident_date::timestamp) + interval '1 month' "
        "- interval '1 day')::date ELSE i.incident_date END >= '2020-01-01' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        "SELECT sex, age_group, outcome, sum(count) FROM reports_casualtysummary "
        "WHERE date_to >= '2020-01-01' AND date_from <= '2020-12-31' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    ),
    (
        "incidents by year × class",
        "incidents/?group_by=year,incident_class",
        f"SELECT extract(year FROM i.incident_date)::int, i.incident_class, count(*) FROM incidents_incident i "
        f"WHERE {APPROVED.format(t='i')} GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT year, incident_class, sum(count) FROM reports_incidentsummary GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    (
        "land release by year × kind",
        "land-release-activities/?group_by=year,kind",
        "SELECT extract(year FROM l.start_date)::int, l.kind, count(*), sum(l.area_cancelled_m2), "
        f"sum(l.area_reduced_m2), sum(l.area_cleared_m2) FROM hazards_landreleaseactivity l "
        f"WHERE {APPROVED.format(t='l')} GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT year, kind, sum(count), sum(area_cancelled_m2), sum(area_reduced_m2), sum(area_cleared_m2) "
        "FROM reports_landreleasesummary GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    (
        "risk education by year × région",
        "risk-education-sessions/?group_by=year,admin_area&admin_area_level=1",
        f"SELECT extract(year FROM r.session_date)::int, {REGION}, count(*), sum(r.girls), sum(r.boys), "
        f"sum(r.women), sum(r.men), sum(r.with_disability), sum(r.girls + r.boys + r.women + r.men) "
        f"FROM education_riskeducationsession r {AREAS.format(t='r')} WHERE {APPROVED.format(t='r')} "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT year, area_1, sum(count), sum(girls), sum(boys), sum(women), sum(men), sum(with_disability), "
        "sum(beneficiaries) FROM reports_riskeducationsummary GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    (
        "assistance by year × service",
        "assistance-services/?group_by=year,service_type",
        "SELECT extract(year FROM s.start_date)::int, s.service_type, count(*), count(DISTINCT s.survivor_id) "
        f"FROM assistance_assistanceservice s WHERE {APPROVED.format(t='s')} GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT year, service_type, sum(count), count(DISTINCT survivor) FROM reports_assistancesummary "
        "GROUP BY 1, 2 ORDER BY 1, 2",
    ),
]


def _raw(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _number(value):
    return int(value) if hasattr(value, "as_integer_ratio") and not isinstance(value, float) else value


def _same(ours, theirs) -> bool:
    """Equal, areas within a square metre in a billion (sums of floats in another order)."""
    if isinstance(ours, float) or isinstance(theirs, float):
        return abs(float(ours or 0) - float(theirs or 0)) <= max(1.0, abs(float(theirs or 0)) * 1e-9)
    return ours == theirs


def _check(answer: dict, raw_rows: list[tuple], name: str) -> None:
    """The endpoint's rows are the raw query's."""
    ours = [tuple(row.values()) for row in answer["results"]]
    theirs = [tuple(_number(value) for value in row) for row in raw_rows]
    if len(ours) != len(theirs):
        sys.exit(f"{name}: {len(ours)} rows from the endpoint, {len(theirs)} from the raw query.")
    for mine, raw in zip(ours, theirs, strict=True):
        if len(mine) != len(raw) or not all(_same(a, b) for a, b in zip(mine, raw, strict=True)):
            sys.exit(f"{name}: the endpoint's figures differ from the raw query's: {mine} ≠ {raw}")


def run(rounds: int) -> None:
    serving_in_process()
    officer = member("bench.statistics", Organisation.objects.get(acronym="CNLPAL"), roles.IM_OFFICER)
    client = APIClient()
    client.force_authenticate(officer)

    def get(path: str) -> dict:
        response = client.get(f"/api/v1/statistics/{path}")
        if response.status_code != 200:
            sys.exit(f"{path}: HTTP {response.status_code} {response.content[:300]!r}")
        return response.json()

    print(f"{'case':48} {'endpoint':>10} {'raw sum.':>10} {'raw base':>10} {'÷ raw sum.':>11} {'÷ raw base':>11}")
    for name, path, base_sql, summary_sql in CASES:
        answer = get(path)
        if answer["computed_from"] != "summary":
            sys.exit(f"{name}: answered from {answer['computed_from']}, not the summary")
        _check(answer, _raw(base_sql), name)
        served_runs = sampled(lambda path=path: get(path), rounds, warm=True)
        summary_runs = sampled(lambda sql=summary_sql: _raw(sql), rounds, warm=True)
        base_runs = sampled(lambda sql=base_sql: _raw(sql), max(1, rounds // 2), warm=False)
        served, on_summary = record("statistics", f"{name}: against the raw query on the summary", served_runs,
                                    summary_runs, target=1.5)  # fmt: skip
        _, on_base = record("statistics", f"{name}: against the raw GROUP BY on the records", served_runs, base_runs,
                            target=0.1)  # fmt: skip
        print(
            f"{name:48} {served * 1000:8.1f}ms {on_summary * 1000:8.1f}ms {on_base * 1000:8.1f}ms "
            f"{served / on_summary:10.2f}× {served / on_base:10.3f}×"
        )
    # What the summaries cannot answer goes to the records: one organisation's casualties by year,
    # and the casualties in a box of the map (around Mopti).
    organisation = Organisation.objects.filter(acronym="HI").first() or Organisation.objects.first()
    base = (
        "SELECT extract(year FROM i.incident_date)::int, count(*) FROM incidents_casualty c JOIN incidents_incident "
        f"i ON i.id = c.incident_id WHERE {APPROVED.format(t='i')} AND {{}} GROUP BY 1 ORDER BY 1"
    )
    acronym = organisation.acronym
    fallbacks = [
        (f"casualties of {acronym} by year", f"casualties/?group_by=year&organisation={acronym}",
         base.format(f"i.organisation_id = {organisation.pk}")),
        ("casualties in a box by year", "casualties/?group_by=year&bbox=-4.7,14,-3.7,15",
         base.format("ST_Intersects(i.location, ST_MakeEnvelope(-4.7, 14, -3.7, 15, 4326))")),
    ]  # fmt: skip
    for label, path, sql in fallbacks:
        answer = get(path)
        assert answer["computed_from"] == "records"
        _check(answer, _raw(sql), label)
        served_runs = sampled(lambda path=path: get(path), max(1, rounds // 2), warm=True)
        base_runs = sampled(lambda sql=sql: _raw(sql), max(1, rounds // 2), warm=True)
        served, on_base = record("statistics", f"{label}: from the records (no summary serves it)", served_runs,
                                 base_runs, target=1.5)  # fmt: skip
        label = f"{label} (base tables)"
        print(f"{label:48} {served * 1000:8.1f}ms {'':>10} {on_base * 1000:8.1f}ms {'':>11} {served / on_base:10.3f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    casualties = Casualty.objects.count()
    if not casualties:
        sys.exit("No casualties: run `manage.py generate_demo_data --scale large` first.")
    print(f"{casualties:,} casualties. Summary tables rebuilt:")
    for name in summaries.SUMMARIES:
        start = time.perf_counter()
        state = summaries.refresh(name)
        print(f"  {name:16} {state.rows:>9,} rows in {time.perf_counter() - start:6.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(s.table._meta.db_table for s in summaries.SUMMARIES.values()))
    rolled_back(run, rounds)


if __name__ == "__main__":
    main()
