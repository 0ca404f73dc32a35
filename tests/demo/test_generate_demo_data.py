"""`generate_demo_data --scale demo` on the real PostGIS test database."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation
from psycopg import sql

from demo import figures
from demo.services import demo_data_delete, domain_tables
from hazards.services import hazard_areas_recompute
from incidents.services import age_group_for, classify_device

pytestmark = pytest.mark.django_db


def _generate(*extra: str) -> str:
    out = StringIO()
    call_command("generate_demo_data", "--scale", "demo", "--seed", "1", *extra, stdout=out)
    return out.getvalue()


def _rows(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _value(query: str, params=()):
    return _rows(query, params)[0][0]


def _fingerprints() -> dict[str, str]:
    """An md5 of every row of every domain table, in id order."""
    return {
        table: _value(
            sql.SQL("SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {} t").format(
                sql.Identifier(table)
            )
        )
        for table in domain_tables()
    }


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """The demo data set, committed once for the module: a first run on tables without records,
    then two runs with --replace whose fingerprints must match. Removed at the end of the module."""
    # In English like every other test (tests/conftest.py): the services store some texts translated.
    with django_db_blocker.unblock(), translation.override("en"):
        _generate()
        _generate("--replace")
        replaced = _fingerprints()
        output = _generate("--replace")
        yield {"output": output, "replaced": replaced, "again": _fingerprints()}
        # The other tests expect no domain records; the session's reference data stays.
        demo_data_delete()


def test_loads_the_reference_data_first_on_an_empty_database(demo_data):
    # Inside the test's transaction: rolled back afterwards, the data of the module comes back.
    demo_data_delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE reference_locality, reference_administrativearea, reference_organisation, "
            "reference_ordnancetype CASCADE"
        )

    output = _generate()

    assert "loading the reference data first" in output
    assert _value("SELECT count(*) FROM reference_administrativearea WHERE level = 1 AND geometry IS NOT NULL") >= 8
    assert _value("SELECT count(*) FROM incidents_incident") == 1_000


def test_prints_progress_rows_per_table_and_elapsed_time(demo_data):
    output = demo_data["output"]
    assert "Deleting" in output
    assert "incidents: 1,000 rows" in output
    assert "Rows per table:" in output
    for table in domain_tables():
        assert table in output
    assert "rows generated in" in output


@pytest.mark.parametrize(
    ("table", "low", "high"),
    [
        ("hazards_hazardarea", 300, 300),
        ("hazards_landreleaseactivity", 350, 800),
        ("hazards_itemfound", 200, 900),
        ("hazards_qualityinspection", 2, 40),
        ("incidents_incident", 1_000, 1_000),
        ("incidents_casualty", 1_500, 1_500),
        ("incidents_incidentsource", 1_000, 1_700),
        ("incidents_casualtyidentity", 20, 100),
        ("education_riskeducationsession", 500, 500),
        ("assistance_survivor", 150, 200),
        ("assistance_assistanceservice", 300, 1_000),
        ("community_communityreport", 60, 60),
    ],
)
def test_row_counts_are_those_of_the_demo_scale(demo_data, table, low, high):
    count = _value(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))

    assert low <= count <= high


def test_the_same_seed_gives_the_same_rows(demo_data):
    assert demo_data["replaced"] == demo_data["again"]
    assert all(fingerprint != "d41d8cd98f00b204e9800998ecf8427e" for fingerprint in demo_data["again"].values())


def test_another_seed_gives_other_rows(demo_data):
    # Inside the test's transaction: rolled back afterwards, the seed 1 data comes back.
    call_command("generate_demo_data", "--scale", "demo", "--seed", "2", "--replace", stdout=StringIO())

    other = _fingerprints()

    assert other["incidents_incident"] != demo_data["again"]["incidents_incident"]
    assert other["hazards_hazardarea"] != demo_data["again"]["hazards_hazardarea"]


def test_refuses_to_add_to_existing_records_without_replace(demo_data):
    with pytest.raises(CommandError, match="--replace"):
        _generate()


def test_incidents_follow_the_regional_shares_of_unmas_ocha(demo_data):
    shares = dict(
        _rows(
            "SELECT a.pcode, 100.0 * count(*) / sum(count(*)) OVER () FROM incidents_incident i "
            "JOIN reference_administrativearea a ON a.id = i.admin_area_id GROUP BY a.pcode"
        )
    )

    for pcode, expected in figures.INCIDENT_SHARE_BY_PCODE.items():
        assert abs(float(shares.get(pcode, 0)) - expected) <= 3, pcode
    assert float(shares["ML05"]) > float(shares["ML04"]) > float(shares["ML06"])


@pytest.mark.parametrize(
    "table",
    [
        "incidents_incident",
        "education_riskeducationsession",
        "community_communityreport",
        "hazards_landreleaseactivity",
    ],
)
def test_every_point_lies_in_its_region(demo_data, table):
    total, covered = _rows(
        sql.SQL(
            "SELECT count(*), count(*) FILTER (WHERE a.level = 1 AND ST_Covers(a.geometry, t.location)) "
            "FROM {} t JOIN reference_administrativearea a ON a.id = t.admin_area_id WHERE t.location IS NOT NULL"
        ).format(sql.Identifier(table))
    )[0]

    assert total > 0
    assert covered == total
    assert _value(sql.SQL("SELECT count(*) FROM {} WHERE admin_area_id IS NULL").format(sql.Identifier(table))) == 0


def test_hazard_polygons_are_valid_multipolygons_inside_their_region(demo_data):
    total, valid, inside, multipolygons, vertices = _rows(
        "SELECT count(*), count(*) FILTER (WHERE ST_IsValid(h.geometry)), "
        "count(*) FILTER (WHERE ST_Covers(a.geometry, h.geometry)), "
        "count(*) FILTER (WHERE GeometryType(h.geometry) = 'MULTIPOLYGON' AND ST_SRID(h.geometry) = 4326), "
        "min(ST_NPoints(h.geometry)) "
        "FROM hazards_hazardarea h JOIN reference_administrativearea a ON a.id = h.admin_area_id"
    )[0]

    assert total == valid == inside == multipolygons == 300
    assert vertices >= 4
    smallest, largest = _rows("SELECT min(area_m2), max(area_m2) FROM hazards_hazardarea")[0]
    assert 1_000 < smallest < 20_000
    assert 500_000 < largest < 5_000_000


def test_released_area_never_exceeds_the_hazard_area(demo_data):
    over = _value(
        "SELECT count(*) FROM hazards_hazardarea "
        "WHERE area_cancelled_m2 + area_reduced_m2 + area_cleared_m2 > area_m2 OR remaining_area_m2 < 0"
    )
    # Counting every activity that is not rejected, as the services do before accepting one.
    over_with_pending = _value(
        "SELECT count(*) FROM hazards_hazardarea h JOIN ("
        "  SELECT hazard_area_id, sum(area_cancelled_m2 + area_reduced_m2 + area_cleared_m2) AS released "
        "  FROM hazards_landreleaseactivity WHERE status <> 'rejected' GROUP BY hazard_area_id"
        ") a ON a.hazard_area_id = h.id WHERE a.released > h.area_m2"
    )

    assert over == 0
    assert over_with_pending == 0


def test_hazard_status_follows_the_approved_activities(demo_data):
    before = _fingerprints()["hazards_hazardarea"]
    hazard_areas_recompute()

    assert _fingerprints()["hazards_hazardarea"] == before
    statuses = dict(_rows("SELECT hazard_status, count(*) FROM hazards_hazardarea GROUP BY 1"))
    assert set(statuses) == {"open", "closed", "handed_over"}
    assert statuses["open"] > statuses["closed"] > statuses["handed_over"]


def test_activities_release_land_only_as_their_kind_allows(demo_data):
    wrong = _value(
        "SELECT count(*) FROM hazards_landreleaseactivity WHERE "
        "(kind NOT IN ('nts', 'ts') AND area_cancelled_m2 > 0) OR (kind <> 'ts' AND area_reduced_m2 > 0) "
        "OR (kind NOT IN ('ts', 'clearance') AND area_cleared_m2 > 0) "
        "OR (kind NOT IN ('ts', 'clearance') AND clearance_depth_cm IS NOT NULL) "
        "OR (kind <> 'handover' AND handover_men + handover_women + handover_boys + handover_girls > 0) "
        "OR end_date < start_date OR (hazard_area_id IS NULL AND location IS NULL)"
    )

    assert wrong == 0
    assert _value("SELECT count(*) FROM hazards_itemfound WHERE quantity < 1") == 0
    assert _value("SELECT count(*) FROM hazards_qualityinspection") > 0


def test_improvised_av_mines_set_off_by_a_person_are_recorded_as_improvised_ap_mines(demo_data):
    reclassified = _rows(
        "SELECT device_category_reported, device_category, count(*) FROM incidents_incident "
        "WHERE device_category <> device_category_reported GROUP BY 1, 2"
    )
    rows = _rows(
        "SELECT device_category_reported, person_activated, how_activated, device_category FROM incidents_incident"
    )

    assert reclassified[0][:2] == ("improvised_av_mine", "improvised_ap_mine")
    assert len(reclassified) == 1
    assert 20 <= reclassified[0][2] <= 120
    for reported, by_person, how, counted in rows:
        assert counted == classify_device(reported=reported, person_activated=by_person, how_activated=how)
    assert _value("SELECT count(*) FROM incidents_incident WHERE device_category = 'other_ied'") > 20


def test_casualties_follow_the_public_figures(demo_data):
    (killed, civilian, military, children, civilians_with_group, total) = _rows(
        "SELECT count(*) FILTER (WHERE outcome = 'killed'), count(*) FILTER (WHERE civilian_status = 'civilian'), "
        "count(*) FILTER (WHERE civilian_status = 'military'), "
        "count(*) FILTER (WHERE civilian_status = 'civilian' AND age_group = 'child'), "
        "count(*) FILTER (WHERE civilian_status = 'civilian' AND age_group <> 'unknown'), count(*) "
        "FROM incidents_casualty"
    )[0]
    by_year = dict(
        _rows(
            "SELECT extract(year FROM i.incident_date)::int, count(*) FROM incidents_casualty c "
            "JOIN incidents_incident i ON i.id = c.incident_id GROUP BY 1"
        )
    )

    assert 0.25 <= killed / total <= 0.35
    assert 0.36 <= civilian / total <= 0.46  # 55 of 133 in 2017
    assert 0.53 <= military / total <= 0.63  # 78 of 133
    assert 0.15 <= children / civilians_with_group <= 0.25
    assert set(by_year) == set(range(2017, 2026))
    assert 380 <= by_year[2021] <= 420
    assert 160 <= by_year[2023] <= 190
    assert 120 <= by_year[2017] <= 145


def test_age_groups_follow_the_ages(demo_data):
    rows = _rows("SELECT age, age_group FROM incidents_casualty")

    assert all(group == age_group_for(age) for age, group in rows)
    assert all(age is None or 0 <= age <= 80 for age, _ in rows)
    sexes = dict(_rows("SELECT sex, count(*) FROM incidents_casualty GROUP BY 1"))
    assert sexes["male"] > 3 * sexes["female"] > 0


def test_reported_records_carry_organisation_status_and_unique_codes(demo_data):
    for table in ("hazards_hazardarea", "incidents_incident", "education_riskeducationsession"):
        name = sql.Identifier(table)
        statuses = {s for (s,) in _rows(sql.SQL("SELECT DISTINCT status FROM {}").format(name))}
        assert statuses == {"approved", "submitted", "draft", "rejected"}, table
        assert _value(sql.SQL("SELECT count(*) FROM {} WHERE updated_at < created_at").format(name)) == 0
        assert (
            _value(sql.SQL("SELECT count(*) FROM {} WHERE external_id IS NOT NULL").format(name)) > 0
        ), table  # fmt: skip
    approved = _value("SELECT count(*) FROM incidents_incident WHERE status = 'approved'")
    assert approved > 850
    assert _value("SELECT min(reference) FROM incidents_incident") == "ML-INC-000001"
    assert _value("SELECT max(reference) FROM incidents_incident") == "ML-INC-001000"


def test_sequences_are_advanced_past_the_generated_records(demo_data):
    numbered = {
        "inc": "incidents_incident",
        "ha": "hazards_hazardarea",
        "re": "education_riskeducationsession",
        "lr": "hazards_landreleaseactivity",
        "cr": "community_communityreport",
    }
    for prefix, table in numbered.items():
        last = _value(sql.SQL("SELECT last_value FROM {}").format(sql.Identifier(f"reference_{prefix}_seq")))
        assert last == _value(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
    for table in domain_tables():
        last_id = _value("SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass)", [table])
        assert last_id == _value(sql.SQL("SELECT max(id) FROM {}").format(sql.Identifier(table))), table


def test_only_a_few_casualties_have_an_identity(demo_data):
    names = [name for (name,) in _rows("SELECT full_name FROM incidents_casualtyidentity")]
    born_after = _value(
        "SELECT count(*) FROM incidents_casualtyidentity ci JOIN incidents_casualty c ON c.id = ci.casualty_id "
        "JOIN incidents_incident i ON i.id = c.incident_id WHERE ci.date_of_birth > i.incident_date"
    )

    assert 0 < len(names) <= 0.07 * 1_500
    assert all(len(name.split()) >= 2 for name in names)
    assert born_after == 0


def test_survivors_are_injured_casualties_with_services_after_their_incident(demo_data):
    killed_survivors = _value(
        "SELECT count(*) FROM assistance_survivor s JOIN incidents_casualty c ON c.id = s.casualty_id "
        "WHERE c.outcome = 'killed'"
    )
    early_services = _value(
        "SELECT count(*) FROM assistance_assistanceservice v JOIN assistance_survivor s ON s.id = v.survivor_id "
        "JOIN incidents_casualty c ON c.id = s.casualty_id JOIN incidents_incident i ON i.id = c.incident_id "
        "WHERE v.start_date < i.incident_date OR v.end_date < v.start_date"
    )
    without_service = _value(
        "SELECT count(*) FROM assistance_survivor s WHERE NOT EXISTS "
        "(SELECT 1 FROM assistance_assistanceservice v WHERE v.survivor_id = s.id)"
    )

    assert killed_survivors == 0
    assert early_services == 0
    assert without_service == 0


def test_community_reports_link_to_what_they_became(demo_data):
    outcomes = dict(
        _rows(
            "SELECT outcome, count(*) FILTER (WHERE hazard_area_id IS NOT NULL OR spot_task_id IS NOT NULL) "
            "FROM community_communityreport GROUP BY 1"
        )
    )
    totals = dict(_rows("SELECT outcome, count(*) FROM community_communityreport GROUP BY 1"))

    assert outcomes["hazard_area"] == totals["hazard_area"] > 0
    assert outcomes["spot_task"] == totals["spot_task"] > 0
    assert outcomes.get("pending", 0) == 0


def test_make_run_leaves_existing_records_alone(demo_data):
    before = _value("SELECT count(*) FROM incidents_incident")
    out = StringIO()
    call_command("generate_demo_data", "--scale", "demo", "--if-empty", stdout=out)
    assert "no demonstration data generated" in out.getvalue()
    assert _value("SELECT count(*) FROM incidents_incident") == before == 1_000


def test_demo_data_is_refused_where_not_allowed(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED=False"):
        call_command("generate_demo_data", "--scale", "demo", "--replace")
