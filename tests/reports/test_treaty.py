"""Treaty reports (reports.treaty): the Article 7 figures of the demo data recomputed with raw SQL on
the base tables, and the records each figure lists; the Landmine Monitor table with command-detonated
IEDs kept out of its totals; the Article 5 work plan; the three formats; a partner's scope.

The demo data (committed once for the module, removed at its end) is mixed up first: some records
deleted, some dates known only by their year or month, a few factory-made AP mines. Hand-made
records use 2016, a year the demo data leaves empty.
"""

import datetime
import re
import zipfile
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import translation
from psycopg import sql

from core.exceptions import ApplicationError
from core.policy import SYSTEM
from core.selectors import records_visible
from core.workflow import record_transition
from demo.services import demo_data_delete
from hazards.services import hazard_area_create, land_release_activity_create
from incidents.models import Casualty
from incidents.services import incident_create
from reference.models import AdministrativeArea, OrdnanceType
from reports.models import ClearanceCapacity
from reports.treaty import FORMATS, REPORT_KINDS, build_report, write_report
from reports.treaty import documents as treaty_documents
from reports.treaty.figures import Capacity, work_plan
from tests.geo import GAO, MOPTI, point, square
from tests.people import member

pytestmark = pytest.mark.django_db

YEAR = 2023
START, END = datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31)
# A year before the demo data: hand-made records only.
EMPTY_YEAR = 2016

# The région (level 1) of a record's area `r`, through the parent links, as raw SQL.
REGION = """COALESCE(CASE WHEN a1.level = 1 THEN a1.pcode WHEN a2.level = 1 THEN a2.pcode
    WHEN a3.level = 1 THEN a3.pcode END, '')"""
AREAS = """LEFT JOIN reference_administrativearea a1 ON a1.id = r.admin_area_id
    LEFT JOIN reference_administrativearea a2 ON a2.id = a1.parent_id
    LEFT JOIN reference_administrativearea a3 ON a3.id = a2.parent_id"""


def _q(template: str, **fragments: str) -> sql.Composed:
    """A query made of this module's SQL fragments (constants, never input)."""
    return sql.SQL(template).format(**{name: sql.SQL(fragment) for name, fragment in fragments.items()})


def _rows(query, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _ids(query, params=()) -> set[int]:
    return {row[0] for row in _rows(query, params)}


MIX_UP = {
    "deleted_incidents": """UPDATE incidents_incident SET deleted_at = now() WHERE id IN (
        SELECT id FROM incidents_incident WHERE status = 'approved' AND incident_date BETWEEN %(start)s AND %(end)s
        ORDER BY id LIMIT 6) RETURNING id""",
    "year_incidents": """UPDATE incidents_incident SET date_precision = 'year', incident_date = %(start)s
        WHERE id IN (SELECT id FROM incidents_incident WHERE status = 'approved' AND deleted_at IS NULL
        AND incident_date BETWEEN %(april)s AND %(end)s ORDER BY id DESC LIMIT 8) RETURNING id""",
    # Known only by the next year: stored as its 1 January, never counted in this one.
    "next_year_incidents": """UPDATE incidents_incident SET date_precision = 'year', incident_date = %(next)s
        WHERE id IN (SELECT id FROM incidents_incident WHERE status = 'approved' AND deleted_at IS NULL
        AND incident_date BETWEEN %(next)s::date + 31 AND %(next)s::date + 364 ORDER BY id LIMIT 4) RETURNING id""",
    "month_incidents": """UPDATE incidents_incident SET date_precision = 'month',
        incident_date = date_trunc('month', incident_date)::date WHERE id IN (SELECT id FROM incidents_incident
        WHERE status = 'approved' AND deleted_at IS NULL AND date_precision = 'day'
        AND incident_date BETWEEN %(april)s AND %(end)s ORDER BY id LIMIT 5) RETURNING id""",
    "deleted_activities": """UPDATE hazards_landreleaseactivity SET deleted_at = now() WHERE id IN (
        SELECT id FROM hazards_landreleaseactivity WHERE status = 'approved'
        AND (area_cancelled_m2 > 0 OR area_reduced_m2 > 0 OR area_cleared_m2 > 0)
        AND start_date BETWEEN %(start)s AND %(end)s ORDER BY id LIMIT 4) RETURNING id""",
    "year_activities": """UPDATE hazards_landreleaseactivity SET date_precision = 'year', start_date = %(start)s
        WHERE id IN (SELECT id FROM hazards_landreleaseactivity WHERE status = 'approved' AND deleted_at IS NULL
        AND (area_cancelled_m2 > 0 OR area_reduced_m2 > 0 OR area_cleared_m2 > 0)
        AND start_date BETWEEN %(april)s AND %(end)s ORDER BY id DESC LIMIT 4) RETURNING id""",
    "deleted_sessions": """UPDATE education_riskeducationsession SET deleted_at = now() WHERE id IN (
        SELECT id FROM education_riskeducationsession WHERE status = 'approved'
        AND session_date BETWEEN %(start)s AND %(end)s ORDER BY id LIMIT 3) RETURNING id""",
    "year_sessions": """UPDATE education_riskeducationsession SET date_precision = 'year', session_date = %(start)s
        WHERE id IN (SELECT id FROM education_riskeducationsession WHERE status = 'approved' AND deleted_at IS NULL
        AND session_date BETWEEN %(april)s AND %(end)s ORDER BY id DESC LIMIT 3) RETURNING id""",
    "deleted_services": """UPDATE assistance_assistanceservice SET deleted_at = now() WHERE id IN (
        SELECT id FROM assistance_assistanceservice WHERE status = 'approved'
        AND start_date BETWEEN %(start)s AND %(end)s ORDER BY id LIMIT 3) RETURNING id""",
    "deleted_hazards": """UPDATE hazards_hazardarea SET deleted_at = now() WHERE id IN (
        SELECT id FROM hazards_hazardarea WHERE status = 'approved' AND survey_date <= %(end)s
        AND 'improvised_ap_mines' = ANY(contamination_types) ORDER BY id LIMIT 3) RETURNING id""",
    # The demo finds no factory-made AP mine: a few improvised ones become so, to fill Form G.1.
    "ap_mines": """UPDATE hazards_itemfound SET category = 'ap_mine', ordnance_type_id = NULL WHERE id IN (
        SELECT i.id FROM hazards_itemfound i JOIN hazards_landreleaseactivity a ON a.id = i.activity_id
        WHERE a.status = 'approved' AND a.deleted_at IS NULL AND a.start_date BETWEEN %(start)s AND %(end)s
        AND i.category = 'improvised_ap_mine' AND i.destroyed ORDER BY i.id LIMIT 3) RETURNING id""",
}


def _mix_up() -> dict[str, set[int]]:
    """Deletes some approved records of the year and makes some dates known only by the year or the
    month; returns the ids touched, so that tests can see each rule at work."""
    days = {"start": START, "end": END, "april": datetime.date(YEAR, 4, 1), "next": datetime.date(YEAR + 1, 1, 1)}
    return {name: _ids(query, days) for name, query in MIX_UP.items()}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data set, mixed up, committed for the module and removed at its end."""
    with django_db_blocker.unblock(), translation.override("en"):
        call_command("generate_demo_data", "--scale", "demo", "--seed", "1", stdout=StringIO())
        touched = _mix_up()
        assert all(touched.values()), touched
        yield touched
        demo_data_delete()


@pytest.fixture(scope="module")
def article7(demo, django_db_blocker):
    with django_db_blocker.unblock(), translation.override("en"):
        return build_report("article7", year=YEAR)


def _table(report, key: str) -> dict[str, dict]:
    """The rows of a table by their first column (P-code where there is one), total rows apart."""
    table = report.table(key)
    first = "pcode" if "pcode" in {c.key for c in table.columns} else table.columns[0].key
    return {row.values[first]: row.values for row in table.rows if not row.total}


def _total(report, key: str) -> dict:
    return next(row.values for row in report.table(key).rows if row.total)


def _counted_ids(report, key: str) -> list[int]:
    return list(report.table(key).counted[0].ids)


# --- Article 7 against raw SQL --------------------------------------------------------------------


def test_form_f_land_released_per_region_matches_sql(article7):
    expected = {
        region: (cancelled, reduced, cleared, count)
        for region, cancelled, reduced, cleared, count in _rows(_q("""
            SELECT {region}, SUM(r.area_cancelled_m2), SUM(r.area_reduced_m2), SUM(r.area_cleared_m2), COUNT(*)
            FROM hazards_landreleaseactivity r {areas}
            WHERE r.status = 'approved' AND r.deleted_at IS NULL AND r.start_date BETWEEN %s AND %s
              AND (r.area_cancelled_m2 > 0 OR r.area_reduced_m2 > 0 OR r.area_cleared_m2 > 0)
            GROUP BY 1""", region=REGION, areas=AREAS), [START, END])
    }  # fmt: skip
    got = _table(article7, "F.release")
    assert set(got) == set(expected)
    assert len(expected) >= 5
    for region, (cancelled, reduced, cleared, count) in expected.items():
        row = got[region]
        assert row["cancelled"] == pytest.approx(cancelled, abs=0.1)
        assert row["reduced"] == pytest.approx(reduced, abs=0.1)
        assert row["cleared"] == pytest.approx(cleared, abs=0.1)
        assert row["released"] == pytest.approx(cancelled + reduced + cleared, abs=0.2)
        assert row["count"] == count
    total = _total(article7, "F.release")
    assert total["count"] == sum(values[3] for values in expected.values())
    assert total["released"] == pytest.approx(sum(sum(values[:3]) for values in expected.values()), abs=1)


def test_form_f_agrees_with_the_land_release_statistics_of_the_api(article7, officer):
    from rest_framework.test import APIClient

    from reports.summaries import refresh_due

    # The endpoint answers from its summary table when it can: built from the records as they are.
    refresh_due(everything=True)
    client = APIClient()
    client.force_authenticate(officer)
    answer = client.get(
        "/api/v1/statistics/land-release-activities/",
        {"group_by": "admin_area", "admin_area_level": 1, "date_after": START, "date_before": END},
    ).json()
    api = {row["admin_area"] or "": row for row in answer["results"] if any(row[k] for k in RELEASE_MEASURES)}
    got = _table(article7, "F.release")
    assert set(api) == set(got)
    for region, row in api.items():
        for measure, key in zip(RELEASE_MEASURES, ("cancelled", "reduced", "cleared"), strict=True):
            assert got[region][key] == pytest.approx(row[measure] or 0, abs=0.2)


RELEASE_MEASURES = ("area_cancelled_m2", "area_reduced_m2", "area_cleared_m2")


def test_form_f_counts_year_precise_activities_and_never_deleted_ones(article7, demo):
    counted = set(_counted_ids(article7, "F.release"))
    assert demo["year_activities"] <= counted
    assert not demo["deleted_activities"] & counted
    assert counted == _ids(
        """SELECT id FROM hazards_landreleaseactivity WHERE status = 'approved' AND deleted_at IS NULL
           AND start_date BETWEEN %s AND %s
           AND (area_cancelled_m2 > 0 OR area_reduced_m2 > 0 OR area_cleared_m2 > 0)""",
        [START, END],
    )


def test_form_g_ap_mines_destroyed_by_category_and_model_match_sql(article7):
    expected = defaultdict(dict)
    for category, model, quantity, items in _rows(
        """SELECT i.category, t.model, SUM(i.quantity), COUNT(*)
           FROM hazards_itemfound i JOIN hazards_landreleaseactivity a ON a.id = i.activity_id
           LEFT JOIN reference_ordnancetype t ON t.id = i.ordnance_type_id
           WHERE a.status = 'approved' AND a.deleted_at IS NULL AND a.start_date BETWEEN %s AND %s AND i.destroyed
             AND i.category IN ('ap_mine', 'improvised_ap_mine')
           GROUP BY 1, 2""",
        [START, END],
    ):
        expected[category][model or "Model not recorded"] = (quantity, items)
    assert set(expected) == {"ap_mine", "improvised_ap_mine"}
    for category in ("ap_mine", "improvised_ap_mine"):
        got = {model: (row["quantity"], row["items"]) for model, row in _table(article7, f"G.{category}").items()}
        assert got == expected[category]
        assert _total(article7, f"G.{category}")["quantity"] == sum(q for q, _ in expected[category].values())
    counted = set(_counted_ids(article7, "G.ap_mine"))
    assert counted == _ids(
        """SELECT i.id FROM hazards_itemfound i JOIN hazards_landreleaseactivity a ON a.id = i.activity_id
           WHERE a.status = 'approved' AND a.deleted_at IS NULL AND a.start_date BETWEEN %s AND %s AND i.destroyed
             AND i.category IN ('ap_mine', 'improvised_ap_mine')""",
        [START, END],
    )


def test_form_i_marking_and_risk_education_per_region_match_sql(article7, demo):
    marking = dict(
        _rows(
            _q(
                """SELECT {region}, COUNT(*) FROM hazards_landreleaseactivity r {areas}
                   WHERE r.status = 'approved' AND r.deleted_at IS NULL AND r.kind = 'marking'
                     AND r.start_date BETWEEN %s AND %s GROUP BY 1""",
                region=REGION,
                areas=AREAS,
            ),
            [START, END],
        )
    )
    assert marking
    assert {region: row["count"] for region, row in _table(article7, "I.marking").items()} == marking
    sessions = {
        region: values
        for region, *values in _rows(_q("""
            SELECT {region}, COUNT(*), SUM(r.girls), SUM(r.boys), SUM(r.women), SUM(r.men),
                   SUM(r.girls + r.boys + r.women + r.men), SUM(r.with_disability)
            FROM education_riskeducationsession r {areas}
            WHERE r.status = 'approved' AND r.deleted_at IS NULL AND r.session_date BETWEEN %s AND %s
            GROUP BY 1""", region=REGION, areas=AREAS), [START, END])
    }  # fmt: skip
    keys = ("count", "girls", "boys", "women", "men", "beneficiaries", "with_disability")
    got = {region: [row[key] for key in keys] for region, row in _table(article7, "I.risk_education").items()}
    assert got == sessions
    counted = set(_counted_ids(article7, "I.risk_education"))
    assert demo["year_sessions"] <= counted
    assert not demo["deleted_sessions"] & counted
    assert counted == _ids(
        """SELECT id FROM education_riskeducationsession WHERE status = 'approved' AND deleted_at IS NULL
           AND session_date BETWEEN %s AND %s""",
        [START, END],
    )
    assert set(_counted_ids(article7, "I.marking")) == _ids(
        """SELECT id FROM hazards_landreleaseactivity WHERE status = 'approved' AND deleted_at IS NULL
           AND kind = 'marking' AND start_date BETWEEN %s AND %s""",
        [START, END],
    )


CASUALTIES = """FROM incidents_casualty c JOIN incidents_incident i ON i.id = c.incident_id
    WHERE i.status = 'approved' AND i.deleted_at IS NULL AND i.incident_date BETWEEN %s AND %s"""
KILLED_INJURED = "SELECT COUNT(*) FILTER (WHERE c.outcome = 'killed'), COUNT(*) FILTER (WHERE c.outcome = 'injured')"
SADD = """CASE WHEN c.age_group = 'adult' THEN CASE c.sex WHEN 'female' THEN 'Women' WHEN 'male' THEN 'Men'
    ELSE 'Adults, sex unknown' END WHEN c.age_group = 'child' THEN CASE c.sex WHEN 'female' THEN 'Girls'
    WHEN 'male' THEN 'Boys' ELSE 'Children, sex unknown' END ELSE 'Age unknown' END"""


def _outcomes(query, labels: dict | None = None) -> dict[str, tuple[int, int]]:
    counts = defaultdict(lambda: [0, 0])
    for group, outcome, count in _rows(query, [START, END]):
        counts[labels[group] if labels else group][0 if outcome == "killed" else 1] += count
    return {group: tuple(values) for group, values in counts.items()}


def _killed_injured(report, key: str) -> dict[str, tuple[int, int]]:
    return {
        label: (row["killed"], row["injured"])
        for label, row in _table(report, key).items()
        if row["killed"] or row["injured"]
    }


def test_form_j_casualties_and_their_disaggregations_match_sql(article7, demo):
    total_killed, total_injured = _rows(
        _q(KILLED_INJURED + " {casualties}", casualties=CASUALTIES),
        [START, END],
    )[0]
    assert total_killed
    assert total_injured
    for key in ("J.sadd", "J.status", "J.device"):
        total = _total(article7, key)
        assert (total["killed"], total["injured"], total["total"]) == (
            total_killed, total_injured, total_killed + total_injured,
        )  # fmt: skip
    assert _killed_injured(article7, "J.sadd") == _outcomes(
        _q("SELECT {sadd}, c.outcome, COUNT(*) {casualties} GROUP BY 1, 2", sadd=SADD, casualties=CASUALTIES)
    )
    statuses = {value: str(label) for value, label in Casualty.CivilianStatus.choices}
    assert _killed_injured(article7, "J.status") == _outcomes(
        _q("SELECT c.civilian_status, c.outcome, COUNT(*) {casualties} GROUP BY 1, 2", casualties=CASUALTIES), statuses
    )
    from reference.models import OrdnanceCategory

    categories = {value: str(label) for value, label in OrdnanceCategory.choices}
    devices = _killed_injured(article7, "J.device")
    assert devices == _outcomes(
        _q("SELECT i.device_category, c.outcome, COUNT(*) {casualties} GROUP BY 1, 2", casualties=CASUALTIES),
        categories,
    )
    # Improvised AP mines apart from other IEDs.
    assert categories["improvised_ap_mine"] in devices
    assert categories["other_ied"] in devices

    counted = _counted_ids(article7, "J.sadd")
    assert len(counted) == len(set(counted)) == total_killed + total_injured
    assert set(counted) == _ids(_q("SELECT c.id {casualties}", casualties=CASUALTIES), [START, END])
    year_precise = _ids("SELECT id FROM incidents_casualty WHERE incident_id = ANY(%s)", [list(demo["year_incidents"])])
    month_precise = _ids(
        "SELECT id FROM incidents_casualty WHERE incident_id = ANY(%s)", [list(demo["month_incidents"])]
    )
    elsewhere = _ids(
        "SELECT id FROM incidents_casualty WHERE incident_id = ANY(%s)",
        [list(demo["deleted_incidents"] | demo["next_year_incidents"])],
    )
    assert year_precise
    assert year_precise <= set(counted)
    assert month_precise <= set(counted)
    assert elsewhere
    assert not elsewhere & set(counted)


def test_form_j_victim_assistance_services_match_sql(article7, demo):
    services = """FROM assistance_assistanceservice s WHERE s.status = 'approved' AND s.deleted_at IS NULL
               AND s.start_date BETWEEN %s AND %s"""
    from assistance.models import AssistanceService

    labels = dict(AssistanceService.ServiceType.choices)
    expected = {
        str(labels[kind]): (count, survivors)
        for kind, count, survivors in _rows(
            _q("SELECT s.service_type, COUNT(*), COUNT(DISTINCT s.survivor_id) {s} GROUP BY 1", s=services),
            [START, END],
        )
    }
    got = {
        label: (row["count"], row["survivors"]) for label, row in _table(article7, "J.services").items() if row["count"]
    }
    assert got == expected
    count, survivors = _rows(_q("SELECT COUNT(*), COUNT(DISTINCT s.survivor_id) {s}", s=services), [START, END])[0]
    total = _total(article7, "J.services")
    assert (total["count"], total["survivors"]) == (count, survivors)
    counted = set(_counted_ids(article7, "J.services"))
    assert counted == _ids(_q("SELECT s.id {s}", s=services), [START, END])
    assert not demo["deleted_services"] & counted


OPEN_HAZARDS = """
    SELECT h.id, GREATEST(h.area_m2 - COALESCE(r.released, 0), 0)
    FROM hazards_hazardarea h
    LEFT JOIN (SELECT hazard_area_id, SUM(area_cancelled_m2 + area_reduced_m2 + area_cleared_m2) AS released,
                      bool_or(kind = 'handover') AS handed_over
               FROM hazards_landreleaseactivity
               WHERE status = 'approved' AND deleted_at IS NULL AND start_date <= %(end)s GROUP BY 1) r
           ON r.hazard_area_id = h.id
    WHERE h.status = 'approved' AND h.deleted_at IS NULL AND h.survey_date <= %(end)s
      AND NOT COALESCE(r.handed_over, false) AND h.area_m2 - COALESCE(r.released, 0) > 0.5
"""


def test_form_c_lists_the_areas_open_on_31_december_with_their_remaining_area(article7, demo):
    for key, kind in (("C.ap", "ap_mines"), ("C.improvised", "improvised_ap_mines")):
        expected = dict(_rows(OPEN_HAZARDS + " AND %(kind)s = ANY(h.contamination_types)", {"end": END, "kind": kind}))
        table = article7.table(key)
        assert set(table.counted[0].ids) == set(expected)
        assert expected
        by_reference = {row.values["reference"]: row.values for row in table.rows if not row.total}
        references = dict(_rows("SELECT reference, id FROM hazards_hazardarea WHERE id = ANY(%s)", [list(expected)]))
        assert set(by_reference) == set(references)
        for reference, values in by_reference.items():
            assert values["remaining_m2"] == pytest.approx(expected[references[reference]], abs=0.1)
            assert -90 <= values["lat"] <= 90
            assert values["region"]
        assert _total(article7, key)["remaining_m2"] == pytest.approx(sum(expected.values()), abs=1)
    summary = set(article7.table("C.summary").counted[0].ids)
    assert summary == _ids(
        OPEN_HAZARDS + " AND h.contamination_types && ARRAY['ap_mines', 'improvised_ap_mines']::varchar[]", {"end": END}
    )
    assert not demo["deleted_hazards"] & summary


def test_every_record_counted_is_listed_with_its_page(article7):
    rows = list(treaty_documents.counted_rows(article7))
    assert len(rows) == article7.counted_rows == sum(len(c) for c in article7.counted)
    casualties = {
        record.id: record
        for record in article7.table("J.sadd").counted[0].records()
        if record.record_type == "Casualty"
    }
    incident_of = dict(_rows("SELECT id, incident_id FROM incidents_casualty WHERE id = ANY(%s)", [list(casualties)]))
    references = dict(_rows("SELECT id, reference FROM incidents_incident"))
    for pk, record in casualties.items():
        assert record.path == f"/incidents/{incident_of[pk]}/"
        assert record.reference.startswith(references[incident_of[pk]])
    # The label a casualty counted under names its row of each table: killed and injured add up.
    outcomes = Counter(record.counted_under.split(" · ")[0] for record in casualties.values())
    total = _total(article7, "J.sadd")
    assert (outcomes["Killed"], outcomes["Injured"]) == (total["killed"], total["injured"])
    activity = next(article7.table("F.release").counted[0].records())
    assert re.fullmatch(r"/activities/\d+/", activity.path)
    assert activity.reference.startswith("ML-LR-")


def test_the_figures_take_a_bounded_number_of_queries(article7, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        build_report("article7", year=YEAR)


# --- Landmine Monitor -----------------------------------------------------------------------------

COMMAND = """(i.how_activated = 'command' OR i.activation = 'command' OR (i.device_category = 'other_ied'
    AND NOT (i.activation = 'victim' OR i.person_activated IS TRUE
             OR i.how_activated IN ('stepped_on', 'tripwire'))))"""
MONITOR_GROUP = """CASE i.device_category WHEN 'av_mine' THEN 'Anti-vehicle mine'
    WHEN 'ap_mine' THEN 'Anti-personnel mine (factory-made)'
    WHEN 'improvised_ap_mine' THEN 'Improvised mine' WHEN 'improvised_av_mine' THEN 'Improvised mine'
    WHEN 'other_ied' THEN 'Improvised mine' WHEN 'booby_trap' THEN 'Improvised mine'
    WHEN 'uxo' THEN 'Explosive remnants of war (ERW)' WHEN 'axo' THEN 'Explosive remnants of war (ERW)'
    WHEN 'cluster_munition_remnant' THEN 'Explosive remnants of war (ERW)'
    WHEN 'unspecified_mine' THEN 'Unspecified mine' ELSE 'Unknown or other device' END"""


def _monitor_rows(report) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (row.values["group"], row.values["label"]): (row.values["killed"], row.values["injured"], row.values["total"])
        for row in report.table("M.casualties").rows
    }


def test_monitor_table_matches_sql_and_leaves_command_detonated_ieds_out_of_the_totals(demo):
    report = build_report("monitor", year=YEAR)
    rows = _monitor_rows(report)
    included = {"casualties": CASUALTIES, "command": COMMAND}
    killed, injured = _rows(
        _q(KILLED_INJURED + " {casualties} AND NOT {command}", **included),
        [START, END],
    )[0]
    assert rows[("All", "Casualties")] == (killed, injured, killed + injured)
    command_killed, command_injured = _rows(
        _q(KILLED_INJURED + " {casualties} AND {command}", **included),
        [START, END],
    )[0]
    assert command_killed + command_injured > 0
    flagged = [row for row in report.table("M.casualties").rows if row.flagged]
    assert len(flagged) == 1
    assert (flagged[0].values["killed"], flagged[0].values["injured"]) == (command_killed, command_injured)
    everyone = _rows(_q("SELECT COUNT(*) {casualties}", casualties=CASUALTIES), [START, END])[0][0]
    assert killed + injured + command_killed + command_injured == everyone

    devices = _outcomes(
        _q(
            "SELECT {group}, c.outcome, COUNT(*) {casualties} AND NOT {command} GROUP BY 1, 2",
            group=MONITOR_GROUP,
            **included,
        )
    )
    got = {label: (k, i) for (group, label), (k, i, _t) in rows.items() if group == "Device" and (k or i)}
    assert got == devices
    civilian = _outcomes(
        _q("SELECT c.civilian_status, c.outcome, COUNT(*) {casualties} AND NOT {command} GROUP BY 1, 2", **included)
    )
    statuses = {str(label): value for value, label in Casualty.CivilianStatus.choices}
    got = {statuses[label]: (k, i) for (group, label), (k, i, _t) in rows.items() if group == "Civilian or military"}
    assert {s: v for s, v in got.items() if any(v)} == civilian
    sadd = _outcomes(
        _q("SELECT {sadd}, c.outcome, COUNT(*) {casualties} AND NOT {command} GROUP BY 1, 2", sadd=SADD, **included)
    )
    got = {label: (k, i) for (group, label), (k, i, _t) in rows.items() if group == "Sex and age" and (k or i)}
    assert got == sadd
    # Each block adds up to the casualties counted.
    for block in ("Device", "Civilian or military", "Sex and age"):
        assert sum(t for (group, _label), (_k, _i, t) in rows.items() if group == block) == killed + injured

    counted_in, left_out = report.table("M.casualties").counted
    assert set(counted_in.ids) == _ids(_q("SELECT c.id {casualties} AND NOT {command}", **included), [START, END])
    assert set(left_out.ids) == _ids(_q("SELECT c.id {casualties} AND {command}", **included), [START, END])


def _approved(record):
    record_transition(record=record, user=SYSTEM, action="submit")
    return record_transition(record=type(record).objects.get(pk=record.pk), user=SYSTEM, action="approve")


def _incident(user, organisation, *, device, how, casualties, place=MOPTI, day="2016-05-10", **data):
    return incident_create(
        user=user,
        organisation=organisation,
        data={"incident_class": "improvised", "incident_date": day, "location": point(place),
              "device_category_reported": device, "how_activated": how, **data},
        casualties=casualties,
    )  # fmt: skip


def test_monitor_counts_an_ied_its_victim_set_off_as_an_improvised_mine_and_flags_a_command_detonated_one(
    partner_user, partner_a
):
    injured = {"outcome": "injured", "sex": "male", "age": 30, "civilian_status": "civilian"}
    _approved(_incident(partner_user, partner_a, device="other_ied", how="command", casualties=[
        {"outcome": "killed", "sex": "male", "age": 25, "civilian_status": "military"}, injured]))  # fmt: skip
    girl = {"outcome": "injured", "sex": "female", "age": 11, "civilian_status": "civilian"}
    _approved(_incident(partner_user, partner_a, device="other_ied", how="stepped_on", person_activated=True,
                        casualties=[girl]))  # fmt: skip
    _approved(_incident(partner_user, partner_a, device="av_mine", how="vehicle", casualties=[injured],
                        incident_class="mine"))  # fmt: skip
    # A draft counts nowhere.
    _incident(partner_user, partner_a, device="av_mine", how="vehicle", casualties=[injured] * 3)
    rows = _monitor_rows(build_report("monitor", year=EMPTY_YEAR))
    assert rows[("All", "Casualties")] == (0, 2, 2)
    assert rows[("Device", "Improvised mine")] == (0, 1, 1)
    assert rows[("Device", "Anti-vehicle mine")] == (0, 1, 1)
    assert rows[("Sex and age", "Girls")] == (0, 1, 1)
    assert rows[("Civilian or military", "Military or security forces")] == (0, 0, 0)
    assert rows[("Not in the totals", "Command-detonated IEDs")] == (1, 1, 2)


# --- Article 5 ------------------------------------------------------------------------------------


@pytest.fixture
def contaminated(partner_user, partner_a):
    """An approved hazard in Mopti surveyed in 2016, 100,000 m² of it cleared in 2016; a second one
    handed over in 2016; a third surveyed in 2017 (not yet known at the end of 2016)."""
    hazard = _approved(
        hazard_area_create(
            user=partner_user, organisation=partner_a,
            data={"land_class": "cha", "evidence": "direct", "survey_date": "2016-03-01", "geometry": square(MOPTI),
                  "contamination_types": ["improvised_ap_mines", "other_ieds"]},
        )
    )  # fmt: skip
    _approved(
        land_release_activity_create(
            user=partner_user, organisation=partner_a,
            data={"kind": "clearance", "report_type": "progress", "hazard_area": hazard, "start_date": "2016-06-01",
                  "area_cleared_m2": 100_000},
        )
    )  # fmt: skip
    handed = _approved(
        hazard_area_create(
            user=partner_user, organisation=partner_a,
            data={"land_class": "sha", "evidence": "indirect", "survey_date": "2016-02-01",
                  "geometry": square(GAO), "contamination_types": ["uxo"]},
        )
    )  # fmt: skip
    _approved(
        land_release_activity_create(
            user=partner_user, organisation=partner_a,
            data={"kind": "handover", "report_type": "completion", "hazard_area": handed, "start_date": "2016-09-01"},
        )
    )  # fmt: skip
    _approved(
        hazard_area_create(
            user=partner_user, organisation=partner_a,
            data={"land_class": "sha", "evidence": "indirect", "survey_date": "2017-02-01",
                  "geometry": square((GAO[0] + 0.1, GAO[1])), "contamination_types": ["uxo"]},
        )
    )  # fmt: skip
    hazard.refresh_from_db()
    return hazard


def test_article5_work_plan_follows_the_capacity_changing_in_a_given_year(contaminated):
    remaining = contaminated.area_m2 - 100_000
    assert 600_000 < remaining < 1_200_000
    ClearanceCapacity.objects.create(start_year=2017, teams=2, m2_per_team_per_year=150_000)
    ClearanceCapacity.objects.create(start_year=2019, teams=4, m2_per_team_per_year=150_000, note="New funding")
    report = build_report("article5", year=EMPTY_YEAR)

    assert _total(report, "A5.region")["remaining"] == pytest.approx(remaining, abs=0.1)
    assert _total(report, "A5.region")["count"] == 1
    assert _table(report, "A5.region")["ML05"]["class_cha"] == pytest.approx(remaining, abs=0.1)
    by_type = _table(report, "A5.type")
    assert set(by_type) == {"Improvised anti-personnel mines", "Other IEDs"}
    assert by_type["Other IEDs"]["remaining"] == pytest.approx(remaining, abs=0.1)
    assert list(report.table("A5.region").counted[0].ids) == [contaminated.pk]

    plan = [
        (row.values["label"], row.values["teams"], row.values["planned"], row.values["remaining"])
        for row in report.table("A5.plan").rows
    ]
    assert plan == [
        ("2017", 2, 300_000, pytest.approx(remaining - 300_000, abs=0.1)),
        ("2018", 2, 300_000, pytest.approx(remaining - 600_000, abs=0.1)),
        ("2019", 4, pytest.approx(remaining - 600_000, abs=0.1), 0),
    ]
    assert any("released by the end of 2019" in note for note in report.sections[-1].notes)
    progress = _table(report, "A5.progress")
    assert progress["2016"]["cleared"] == 100_000


def test_article5_is_refused_without_capacity(contaminated):
    with pytest.raises(ApplicationError) as refused:
        build_report("article5", year=EMPTY_YEAR)
    assert list(refused.value.errors) == ["capacity"]
    assert "No clearance capacity is recorded" in refused.value.errors["capacity"][0]


def test_work_plan_refuses_a_year_without_capacity_and_a_capacity_of_zero():
    with pytest.raises(ApplicationError, match="No clearance capacity applies to 2025"):
        work_plan(remaining_m2=10, first_year=2025, capacities=[Capacity(2027, 1, 100)])
    with pytest.raises(ApplicationError, match="from 2026 is zero"):
        work_plan(remaining_m2=1_000, first_year=2025, capacities=[Capacity(2025, 1, 100), Capacity(2026, 0, 100)])
    nothing_left = work_plan(remaining_m2=0, first_year=2025, capacities=[Capacity(2030, 0, 0)])
    assert nothing_left.years == []
    assert nothing_left.finished


def test_work_plan_stops_after_a_hundred_years_and_says_so(contaminated):
    ClearanceCapacity.objects.create(start_year=2000, teams=1, m2_per_team_per_year=1_000)
    report = build_report("article5", year=EMPTY_YEAR)
    rows = report.table("A5.plan").rows
    assert len(rows) == 100
    assert rows[-1].values["label"] == "2116"
    assert rows[-1].values["remaining"] == pytest.approx(contaminated.area_m2 - 100_000 - 100 * 1_000, abs=0.1)
    assert any("cut at 100 years" in note for note in report.sections[-1].notes)


# --- Requests refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "year", "field"),
    [("article8", 2020, "kind"), ("article7", 1989, "year"), ("monitor", datetime.date.today().year + 1, "year"),
     ("ccm", "2020", "year")],
)  # fmt: skip
def test_a_bad_kind_or_year_is_a_field_error(kind, year, field):
    with pytest.raises(ApplicationError) as refused:
        build_report(kind, year=year)
    assert list(refused.value.errors) == [field]


def test_kinds_and_formats_are_the_public_ones():
    assert list(REPORT_KINDS) == ["article7", "article5", "monitor", "ccm"]
    assert FORMATS == ("xlsx", "docx", "pdf")


# --- CCM ------------------------------------------------------------------------------------------


def test_ccm_report_says_plainly_when_no_cluster_munition_remnant_is_recorded(demo):
    report = build_report("ccm", year=YEAR)
    assert any("No cluster munition remnant is recorded" in note for note in report.notes)
    assert report.table("F.summary").rows == []
    assert report.table("H.sadd").rows == []
    # Risk education is reported whatever the contamination.
    assert (
        _total(report, "G.risk_education")["count"]
        == _total(build_report("article7", year=YEAR), "I.risk_education")["count"]
    )


def test_ccm_report_counts_cluster_munition_areas_items_and_casualties(partner_user, partner_a):
    hazard = _approved(
        hazard_area_create(
            user=partner_user, organisation=partner_a,
            data={"land_class": "cha", "evidence": "direct", "survey_date": "2016-03-01", "geometry": square(GAO),
                  "contamination_types": ["cluster_munitions"]},
        )
    )  # fmt: skip
    _approved(
        land_release_activity_create(
            user=partner_user, organisation=partner_a,
            data={"kind": "clearance", "report_type": "progress", "hazard_area": hazard, "start_date": "2016-04-01",
                  "area_cleared_m2": 5_000},
            items=[{"category": "cluster_munition_remnant", "quantity": 7, "destroyed": True},
                   {"category": "cluster_munition_remnant", "quantity": 2, "destroyed": False}],
        )
    )  # fmt: skip
    _approved(_incident(partner_user, partner_a, device="cluster_munition_remnant", how="handled",
                        incident_class="cluster_munition",
                        casualties=[{"outcome": "killed", "sex": "male", "age": 9}]))  # fmt: skip
    report = build_report("ccm", year=EMPTY_YEAR)
    assert not any("No cluster munition remnant" in note for note in report.notes)
    assert [row.values["reference"] for row in report.table("F.cluster").rows if not row.total] == [hazard.reference]
    assert _total(report, "F.cluster_munition_remnant")["quantity"] == 7
    assert _total(report, "F.release")["cleared"] == 5_000
    assert _table(report, "H.sadd")["Boys"]["killed"] == 1


# --- A partner's scope ----------------------------------------------------------------------------


def test_a_partner_counts_what_records_visible_gives_them(
    django_user_model, partner_user, partner_a, partner_b, authority
):
    drc = member(django_user_model, "charlie.drc", partner_b, "partner_data_manager")
    person = {"outcome": "injured", "sex": "male", "age": 30, "civilian_status": "civilian"}
    own_approved = _approved(_incident(partner_user, partner_a, device="av_mine", how="vehicle", casualties=[person]))
    own_draft = _incident(partner_user, partner_a, device="av_mine", how="vehicle", casualties=[person] * 2)
    other_approved = _approved(_incident(drc, partner_b, device="uxo", how="handled", place=GAO, casualties=[person]))
    other_submitted = _incident(drc, partner_b, device="uxo", how="handled", place=GAO, casualties=[person] * 4)
    record_transition(record=other_submitted, user=drc, action="submit")

    def casualties_counted(user) -> set[int]:
        return set(build_report("article7", year=EMPTY_YEAR, user=user).table("J.sadd").counted[0].ids)

    visible = records_visible(Casualty.objects.filter(incident__incident_date__year=EMPTY_YEAR), partner_user)
    expected = set(visible.filter(incident__status="approved").values_list("pk", flat=True))
    assert casualties_counted(partner_user) == expected
    assert expected == set(
        Casualty.objects.filter(incident__in=[own_approved, other_approved]).values_list("pk", flat=True)
    )
    assert not casualties_counted(partner_user) & set(own_draft.casualties.values_list("pk", flat=True))

    # Authority staff limited to Mopti count Mopti's records only.
    officer = member(django_user_model, "awa.mopti", authority, "information_management_officer")
    officer.profile.regions.add(AdministrativeArea.objects.get(pcode="ML05", valid_to__isnull=True))
    assert casualties_counted(officer) == set(own_approved.casualties.values_list("pk", flat=True))
    assert casualties_counted(None) == expected


# --- Documents ------------------------------------------------------------------------------------


def test_xlsx_reopens_with_a_sheet_per_form_known_figures_and_every_record_counted(article7, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "article7.xlsx"
    write_report(article7, format="xlsx", path=path)
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Report", "Form C", "Form F", "Form G", "Form I", "Form J", "Records counted"]
    rows = list(workbook["Form J"].iter_rows(values_only=True))
    total = _total(article7, "J.sadd")
    header = next(i for i, row in enumerate(rows) if row[:4] == ("Sex and age", "Killed", "Injured", "Casualties"))
    closing = next(row for row in rows[header:] if row[0] == "Total")
    assert closing[1:4] == (total["killed"], total["injured"], total["total"])
    listed = list(workbook["Records counted"].iter_rows(values_only=True))
    assert listed[0] == (
        "Form",
        "Figure",
        "Record type",
        "Id",
        "Reference or external identifier",
        "Page",
        "Counted under",
    )
    assert len(listed) - 1 == article7.counted_rows
    casualties = {row[3] for row in listed[1:] if row[0] == "Form J" and row[2] == "Casualty"}
    assert casualties == set(_counted_ids(article7, "J.sadd"))


def test_xlsx_text_that_looks_like_a_formula_is_neutralised(partner_user, partner_a, tmp_path):
    from openpyxl import load_workbook

    model = OrdnanceType.objects.create(model='=HYPERLINK("http://x")', category="ap_mine", activation="victim")
    _approved(
        land_release_activity_create(
            user=partner_user, organisation=partner_a,
            data={"kind": "eod_spot_task", "report_type": "completion", "start_date": "2016-04-01",
                  "location": point(MOPTI)},
            items=[{"category": "ap_mine", "quantity": 3, "destroyed": True, "ordnance_type": model}],
        )
    )  # fmt: skip
    report = build_report("article7", year=EMPTY_YEAR)
    path = tmp_path / "g.xlsx"
    write_report(report, format="xlsx", path=path)
    values = list(load_workbook(path, read_only=True)["Form G"].iter_rows(values_only=True))
    assert ('\'=HYPERLINK("http://x")', 3, 1) in [tuple(row[:3]) for row in values]


def test_docx_reopens_with_headings_and_editable_tables(article7, tmp_path):
    from docx import Document

    path = tmp_path / "article7.docx"
    write_report(article7, format="docx", path=path)
    document = Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert [s.title for s in article7.sections] == [h for h in headings if h.startswith("Form ")]
    assert headings[-1] == "Annex: records counted"
    total = _total(article7, "J.sadd")
    sadd = next(
        t
        for t in document.tables
        if [c.text for c in t.rows[0].cells] == ["Sex and age", "Killed", "Injured", "Casualties"]
    )
    assert [c.text for c in sadd.rows[-1].cells] == [
        "Total",
        str(total["killed"]),
        str(total["injured"]),
        str(total["total"]),
    ]
    annex = document.tables[-1]
    assert len(annex.rows) - 1 == article7.counted_rows


def test_docx_and_pdf_leave_a_long_list_to_the_xlsx(article7, tmp_path, monkeypatch):
    from docx import Document

    monkeypatch.setattr(treaty_documents, "ANNEX_LIMIT", 10)
    write_report(article7, format="docx", path=tmp_path / "short.docx")
    text = "\n".join(p.text for p in Document(str(tmp_path / "short.docx")).paragraphs)
    assert "is in the XLSX version of this report" in text
    assert "too many for this document; the list is in the XLSX version" in text


def test_pdf_is_a_pdf_with_pages(article7, tmp_path):
    path = tmp_path / "article7.pdf"
    write_report(article7, format="pdf", path=path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type /Page\b", content))
    assert pages >= 3
    assert len(content) > 20_000
    # A TrueType font with Latin Extended glyphs is embedded: accents and any Latin text print.
    assert b"/FontFile2" in content
    assert b"+DejaVuSans" in content or b"+BitstreamVeraSans" in content


def test_a_report_is_written_in_the_active_language(tmp_path):
    with translation.override("fr"):
        report = build_report("monitor", year=EMPTY_YEAR)
        write_report(report, format="docx", path=tmp_path / "fr.docx")
    with zipfile.ZipFile(tmp_path / "fr.docx") as archive:
        body = archive.read("word/document.xml").decode()
    # Labels translated in the catalogue (the outcome columns), in the document as in the report.
    killed = next(c.label for c in report.table("M.casualties").columns if c.key == "killed")
    assert killed != "Killed"
    assert killed in body
    assert report.language == "fr"


# --- The command ----------------------------------------------------------------------------------


def test_the_command_writes_the_file_and_says_so(demo, tmp_path):
    out = StringIO()
    target = tmp_path / "monitor.xlsx"
    call_command(
        "generate_report", "monitor", "--year", str(YEAR), "--format", "xlsx", "--output", str(target),
        "--language", "en", stdout=out,
    )  # fmt: skip
    from openpyxl import load_workbook

    assert load_workbook(target, read_only=True).sheetnames[1] == "Casualties"
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert str(target) in lines[0]
    assert "Landmine Monitor" in lines[0]
    assert [p.name for p in tmp_path.iterdir()] == ["monitor.xlsx"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["article8", "--year", "2020", "--format", "pdf"], "Unknown report 'article8'"),
        (["article7", "--year", "2020", "--format", "odt"], "Unknown format 'odt'"),
        (["article7", "--year", "1989", "--format", "pdf"], "Give a year from 1990"),
        (["article7", "--year", "twenty", "--format", "pdf"], "--year must be a year"),
        (["monitor", "--year", "2020", "--format", "pdf", "--language", "xx"], "Unknown language 'xx'"),
        (["article5", "--year", "2020", "--format", "docx"], "No clearance capacity is recorded"),
    ],
)
def test_the_command_refuses_bad_arguments_and_leaves_no_file(arguments, message, tmp_path):
    from django.core.management.base import CommandError

    target = tmp_path / "report.out"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("generate_report", "--language", "en", *arguments, "--output", str(target), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []


# --- The capacity in the admin -----------------------------------------------------------------------


def test_the_admin_lists_the_capacity_and_edits_it_in_the_list(admin_client):
    capacity = ClearanceCapacity.objects.create(start_year=2026, teams=3, m2_per_team_per_year=120_000)
    page = admin_client.get("/admin/reports/clearancecapacity/")
    assert page.status_code == 200
    assert "360" in page.content.decode()  # 3 × 120,000 m² a year, grouped
    answer = admin_client.post(
        "/admin/reports/clearancecapacity/",
        {
            "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(capacity.pk), "form-0-teams": "5", "form-0-m2_per_team_per_year": "100000",
            "_save": "Save",
        },
    )  # fmt: skip
    assert answer.status_code == 302
    capacity.refresh_from_db()
    assert (capacity.teams, capacity.m2_per_team_per_year) == (5, 100_000)
