"""The dashboard at `/`: the figures the statistics API answers the same user for the same
filters, approved records only, a partner never counting another's drafts, filters with their
errors next to the fields, CSV of each figure, and a page for every role."""

import csv
import io

import pytest

from assistance.services import assistance_service_create, survivor_create
from core.policy import SYSTEM
from core.workflow import record_transition
from education.services import risk_education_session_create
from hazards.services import hazard_area_create, land_release_activity_create
from incidents.services import incident_create
from tests.geo import GAO, MOPTI, point, square

pytestmark = pytest.mark.django_db


def _approved(record):
    record_transition(record=record, user=SYSTEM, action="submit")
    return record_transition(record=type(record).objects.get(pk=record.pk), user=SYSTEM, action="approve")


def _incident(user, organisation, day, device, place, casualties, **data):
    return incident_create(
        user=user,
        organisation=organisation,
        data={
            "incident_class": "improvised",
            "incident_date": day,
            "location": point(place),
            "device_category_reported": device,
            "how_activated": "stepped_on",
            **data,
        },
        casualties=casualties,
    )


@pytest.fixture
def reports(alice, charlie, partner_a, partner_b):
    """Approved records of partners A (HI) and B (DRC) in Mopti (ML05) and Gao (ML07), and drafts
    of both that no figure may count."""
    gao_2023 = _approved(
        _incident(
            alice, partner_a, "2023-09-01", "improvised_av_mine", GAO,
            [{"outcome": "injured", "sex": "female", "age": 12, "civilian_status": "civilian"},
             {"outcome": "killed", "sex": "male", "age": 30, "civilian_status": "military"}],
        )
    )  # fmt: skip
    _approved(
        _incident(
            charlie, partner_b, "2024-02-03", "other_ied", MOPTI,
            [{"outcome": "killed", "sex": "male", "age": 40, "civilian_status": "civilian"}],
            how_activated="command",
        )
    )  # fmt: skip
    # Known only by its year: counted in 2022, in no month.
    _approved(
        _incident(
            charlie, partner_b, "2022-01-01", "uxo", MOPTI, [{"outcome": "injured", "sex": "female", "age": 35}],
            date_precision="year", incident_class="uxo_axo",
        )
    )  # fmt: skip
    for user, organisation in ((alice, partner_a), (charlie, partner_b)):
        _incident(user, organisation, "2024-03-01", "uxo", MOPTI, [{"outcome": "injured", "sex": "male", "age": 9}] * 5)
    mopti = _approved(
        hazard_area_create(
            user=alice, organisation=partner_a,
            data={"land_class": "cha", "evidence": "direct", "survey_date": "2023-05-10", "geometry": square(MOPTI),
                  "contamination_types": ["improvised_ap_mines"]},
        )
    )  # fmt: skip
    _approved(
        hazard_area_create(
            user=charlie, organisation=partner_b,
            data={"land_class": "sha", "evidence": "indirect", "survey_date": "2024-01-01", "geometry": square(GAO),
                  "contamination_types": ["uxo", "ap_mines"]},
        )
    )  # fmt: skip
    hazard_area_create(
        user=charlie, organisation=partner_b,
        data={"land_class": "sha", "evidence": "indirect", "survey_date": "2024-01-01",
              "geometry": square(GAO, 0.05), "contamination_types": ["uxo"]},
    )  # fmt: skip
    _approved(
        land_release_activity_create(
            user=alice, organisation=partner_a,
            data={"kind": "nts", "hazard_area": mopti, "start_date": "2024-02-01", "area_cancelled_m2": 100_000},
        )
    )  # fmt: skip
    _approved(
        land_release_activity_create(
            user=alice, organisation=partner_a,
            data={"kind": "clearance", "hazard_area": mopti, "start_date": "2024-03-01", "area_cleared_m2": 20_000},
            items=[{"category": "improvised_ap_mine", "quantity": 3, "destroyed": True},
                   {"category": "uxo", "quantity": 2, "destroyed": False},
                   {"category": "other_ied", "quantity": 1, "destroyed": True}],
        )
    )  # fmt: skip
    land_release_activity_create(
        user=alice, organisation=partner_a,
        data={"kind": "clearance", "hazard_area": mopti, "start_date": "2024-04-01", "area_cleared_m2": 5_000},
        items=[{"category": "uxo", "quantity": 50, "destroyed": True}],
    )  # fmt: skip
    session = {"method": "direct", "target_group": "school", "location": point(MOPTI), "session_date": "2024-03-10"}
    _approved(
        risk_education_session_create(
            user=alice, organisation=partner_a,
            data={**session, "girls": 20, "boys": 25, "women": 2, "men": 1, "with_disability": 3},
        )
    )  # fmt: skip
    risk_education_session_create(user=charlie, organisation=partner_b, data={**session, "girls": 999})
    survivor = _approved(
        survivor_create(
            user=alice, organisation=partner_a, data={"casualty": gao_2023.casualties.get(outcome="injured")}
        )
    )
    for service_type, day, approve in [
        ("emergency_medical", "2023-09-01", True),
        ("physiotherapy", "2024-02-01", True),
        ("prosthesis", "2024-03-01", False),
    ]:
        service = assistance_service_create(
            user=alice, organisation=partner_a, survivor=survivor,
            data={"service_type": service_type, "start_date": day, "provider_name": "CSRéf de Gao"},
        )  # fmt: skip
        if approve:
            _approved(service)


def _login(client, user):
    client.force_login(user)
    return client


def _csv(client, slug: str, query: str = "") -> list[dict]:
    response = client.get(f"/dashboard/{slug}.csv{'?' + query if query else ''}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _api(client, path: str, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/statistics/{path}{'&' + query if query else ''}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _by(rows, *keys, measure="count") -> dict:
    """API rows summed by some of their groups."""
    counted = {}
    for row in rows:
        key = tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]
        counted[key] = counted.get(key, 0) + (row[measure] or 0)
    return counted


def _km2(m2) -> float:
    return round((m2 or 0) / 1_000_000, 4)


# Filters as the page takes them, and as the API takes them.
FILTERS = [
    ("", ""),
    ("year=2024", "date_after=2024-01-01&date_before=2024-12-31"),
    ("date_after=2023-01-01&date_before=2023-12-31", "date_after=2023-01-01&date_before=2023-12-31"),
    ("admin_area=ML05", "admin_area=ML05"),
    ("organisation=HI", "organisation=HI"),
]


@pytest.mark.parametrize(("page_query", "api_query"), FILTERS)
@pytest.mark.parametrize("persona", ["awa", "charlie", "victor"])
def test_every_figure_is_what_the_api_answers_the_same_user(client, reports, request, persona, page_query, api_query):
    _login(client, request.getfixturevalue(persona))

    casualties = _api(
        client, "casualties/?group_by=month,outcome,sex,age_group,civilian_status,device_category", api_query
    )
    years = _csv(client, "casualties-by-year", page_query)
    by_year = _by(casualties, "year", "outcome")
    assert {(row["Year"], row["Killed"], row["Injured"]) for row in years} == {
        (str(year), str(by_year.get((year, "killed"), 0)), str(by_year.get((year, "injured"), 0)))
        for year in {row["year"] for row in casualties}
    }
    civilians = _by([row for row in casualties if row["civilian_status"] == "civilian"], "year")
    children = _by([row for row in casualties if row["age_group"] == "child"], "year")
    assert {(row["Year"], row["Civilians"], row["Children"]) for row in years} == {
        (str(year), str(civilians.get(year, 0)), str(children.get(year, 0))) for year in {r["year"] for r in casualties}
    }

    sadd = {row["Year"]: row for row in _csv(client, "casualties-by-sex-and-age", page_query)}
    by_sex_age = _by(casualties, "year", "sex", "age_group")
    for year in {row["year"] for row in casualties}:
        assert sadd[str(year)]["Girls"] == str(by_sex_age.get((year, "female", "child"), 0))
        assert sadd[str(year)]["Men"] == str(by_sex_age.get((year, "male", "adult"), 0))

    devices = {row["Code"]: row for row in _csv(client, "casualties-by-device", page_query)}
    by_device = _by(casualties, "device_category")
    assert {code: int(row["Casualties"]) for code, row in devices.items()} == by_device

    months = {row["Month (YYYY-MM)"]: int(row["Casualties"]) for row in _csv(client, "casualties-by-month", page_query)}
    by_month = _by(casualties, "year", "month")
    assert months == {month or str(year): count for (year, month), count in by_month.items()}

    hazards = _api(client, "hazard-areas/?group_by=admin_area&admin_area_level=1", api_query)
    regions = _csv(client, "contamination-by-region", page_query)
    assert {(row["P-code"], row["Hazardous areas"], float(row["Remaining (km²)"])) for row in regions} == {
        (row["admin_area"], str(row["count"]), _km2(row["remaining_area_m2"])) for row in hazards
    }

    released = _api(client, "land-release-activities/?group_by=year", api_query)
    land = _csv(client, "land-release", page_query)
    assert [(row["Year"], float(row["Cancelled (km²)"]), float(row["Cleared (km²)"])) for row in land] == [
        (str(row["year"]), _km2(row["area_cancelled_m2"]), _km2(row["area_cleared_m2"])) for row in released
    ]

    sessions = _api(client, "risk-education-sessions/?group_by=year", api_query)
    education = _csv(client, "risk-education", page_query)
    assert [(row["Year"], row["Girls"], row["Boys"], row["People reached"]) for row in education] == [
        (str(row["year"]), str(row["girls"]), str(row["boys"]), str(row["beneficiaries"])) for row in sessions
    ]

    services = _api(client, "assistance-services/?group_by=service_type", api_query)
    assistance = _csv(client, "victim-assistance", page_query)
    assert {(row["Code"], row["Services"], row["Survivors reached"]) for row in assistance} == {
        (row["service_type"], str(row["count"]), str(row["survivors"])) for row in services
    }


def test_figures_count_approved_records_only(client, reports, alice):
    _login(client, alice)

    years = {row["Year"]: row for row in _csv(client, "casualties-by-year")}
    # Two approved incidents of 2022-2023 and one of 2024; the drafts' ten casualties of 2024 never count.
    assert {year: row["Casualties"] for year, row in years.items()} == {"2022": "1", "2023": "2", "2024": "1"}
    assert years["2023"]["Civilian share"] == "50.0"
    devices = {row["Code"]: row["Casualties"] for row in _csv(client, "casualties-by-device")}
    # The improvised AV mine set off by a person counts as an improvised AP mine, apart from other IEDs.
    assert devices == {"improvised_ap_mine": "2", "other_ied": "1", "uxo": "1"}
    items = {row["Code"]: (row["Destroyed"], row["Found"]) for row in _csv(client, "items-destroyed")}
    assert items == {"improvised_ap_mine": ("3", "3"), "other_ied": ("1", "1"), "uxo": ("0", "2")}
    education = _csv(client, "risk-education")
    assert [(row["Year"], row["People reached"]) for row in education] == [("2024", "48")]
    types = {row["Code"]: float(row["Remaining (km²)"]) for row in _csv(client, "contamination-by-type")}
    # The Gao area holds two types: counted under each.
    assert set(types) == {"ap_mines", "improvised_ap_mines", "uxo"}
    assert types["ap_mines"] == types["uxo"]


def test_a_partner_never_sees_another_organisations_draft_counted(client, reports, alice, charlie):
    for user in (alice, charlie):
        _login(client, user)
        months = {row["Month (YYYY-MM)"]: row["Casualties"] for row in _csv(client, "casualties-by-month")}
        assert "2024-03" not in months
        assert [row["Year"] for row in _csv(client, "risk-education")] == ["2024"]
        assert {row["Code"] for row in _csv(client, "victim-assistance")} == {"emergency_medical", "physiotherapy"}
        html = client.get("/").content.decode()
        assert "999" not in html


def test_the_page_shows_headline_cards_first_then_charts_with_tables(client, reports, awa):
    _login(client, awa)

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('class="cards"') < html.index('class="figures"')
    assert '>Casualties</span> <span class="figure">4</span>' in html
    assert "killed: 2 · injured: 2" in html
    for slug in ("contamination-by-region", "land-release", "items-destroyed", "casualties-by-year",
                 "casualties-by-month", "casualties-by-sex-and-age", "casualties-by-device", "risk-education",
                 "victim-assistance"):  # fmt: skip
        assert f'<canvas data-figure="{slug}" role="img"' in html
        assert f'href="/dashboard/{slug}.csv"' in html
    assert "<caption>Casualties per year: killed and injured</caption>" in html
    assert '<th scope="col">Killed</th>' in html
    assert '<th scope="row">2023</th>' in html
    assert 'id="dashboard-charts" type="application/json"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html


def test_numbers_are_written_for_the_readers_language(client, reports, awa):
    _login(client, awa)

    french = client.get("/?year=2024", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get("/?year=2024", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # 100,000 m² cancelled and 20,000 m² cleared in 2024: 0.12 km² released.
    assert "<td>0,12</td>" in french
    assert "<td>0.12</td>" in english


def test_filters_narrow_the_figures_and_keep_them_in_the_csv_links(client, reports, awa):
    _login(client, awa)

    html = client.get("/?year=2024&admin_area=ML05&organisation=DRC").content.decode()

    assert (
        'href="/dashboard/casualties-by-year.csv?date_after=2024-01-01&amp;date_before=2024-12-31&amp;admin_area=ML05&amp;organisation=DRC"'
        in html
    )
    years = _csv(client, "casualties-by-year", "year=2024&admin_area=ML05&organisation=DRC")
    assert [(row["Year"], row["Killed"], row["Injured"]) for row in years] == [("2024", "1", "0")]
    assert _csv(client, "casualties-by-year", "year=2024&organisation=HI") == []
    assert [row["Year"] for row in _csv(client, "casualties-by-year", "admin_area=ML07")] == ["2023"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("year=abc", "year", "Enter a whole number."),
        ("year=1200", "year", "Give a year between"),
        ("date_after=2024-13-45", "date_after", "Enter a valid date."),
        ("date_after=2024-06-01&date_before=2024-01-01", "date_before", "The last day comes after the first."),
        ("year=2024&date_after=2024-01-01", "year", "Give a year or a first and last day, not both."),
        ("admin_area=XX99", "admin_area", "Select a valid choice."),
        ("organisation=NOPE", "organisation", "Select a valid choice."),
    ],
)
def test_a_wrong_filter_is_shown_next_to_its_field_and_no_figure_is_drawn(client, reports, awa, query, field, message):
    _login(client, awa)

    response = client.get(f"/?{query}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert "<canvas" not in html
    assert "dashboard-charts" not in html
    csv_response = client.get(f"/dashboard/casualties-by-year.csv?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()


def test_the_csv_has_a_header_row_and_the_figures(client, reports, awa):
    _login(client, awa)

    response = client.get("/dashboard/casualties-by-year.csv?year=2023", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="casualties-by-year.csv"'
    assert response.content.decode("utf-8-sig").splitlines() == [
        "Year,Killed,Injured,Casualties,Civilians,Civilian share,Children",
        "2023,1,1,2,1,50.0,1",
    ]
    assert client.get("/dashboard/no-such-figure.csv").status_code == 404


def test_a_role_without_statistics_gets_a_message_instead_of_figures(client, reports, fatou):
    _login(client, fatou)

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your role does not read statistics" in html
    assert "<canvas" not in html
    assert 'class="cards"' not in html
    assert client.get("/dashboard/casualties-by-year.csv").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    assert client.get("/")["Location"] == "/accounts/login/?next=/"
    assert client.get("/dashboard/land-release.csv")["Location"].startswith("/accounts/login/?next=")


def test_an_empty_database_gives_a_page_without_charts(client, awa):
    _login(client, awa)

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "No approved record in this selection." in html
    assert "<canvas" not in html
    assert '<span class="figure">0</span>' in html


def test_the_page_runs_a_fixed_number_of_queries(client, reports, awa, django_assert_max_num_queries):
    _login(client, awa)
    client.get("/")

    # Session, user, rights, profile, the form's areas and organisations; then, for each of the six groups
    # of figures, the région's areas (as the API's filter finds them) and one statistics query; once, the
    # summary tables' freshness.
    with django_assert_max_num_queries(22):
        assert client.get("/?admin_area=ML05").status_code == 200


def test_the_page_shows_the_latest_months_and_the_csv_every_month():
    from dashboard.selectors import MONTHS_SHOWN, Column, Figure
    from dashboard.views import _table

    rows = [{"label": f"m{n}", "month": f"m{n}", "killed": n, "injured": 0} for n in range(MONTHS_SHOWN + 4)]
    figure = Figure(
        slug="casualties-by-month", title="Casualties per month", note="", rows=rows, series=("killed",),
        columns=[Column("label", "Month", "text"), Column("month", "Code", "code"), Column("killed", "Killed")],
        latest=MONTHS_SHOWN,
    )  # fmt: skip

    table = _table(figure, "")

    assert [row[0] for row in table["rows"]] == [f"m{n}" for n in range(4, MONTHS_SHOWN + 4)]
    assert table["chart"]["labels"][0] == "m4"
    assert table["headers"] == ["Month", "Killed"]
    assert len(figure.rows) == MONTHS_SHOWN + 4
