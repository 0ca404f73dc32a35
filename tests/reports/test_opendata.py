"""Open data (`/api/v1/open-data/`): HXL-tagged CSV files of aggregated figures, the statistics
endpoints' own for the same selection whether the summary tables answer or the records do, for
those who read statistics (and anyone once the installation publishes them), never a person or an
organisation."""

import csv
import datetime
import io
from collections import defaultdict
from email.utils import parsedate_to_datetime

import pytest
from django.utils import translation
from django.utils.http import http_date
from rest_framework.test import APIClient

from incidents.models import CasualtyIdentity
from reference.models import AdministrativeArea, OrdnanceCategory, Organisation
from reports.models import CasualtySummary, SummaryState
from reports.opendata import DATASETS, OpenData, casualty_table, csv_lines
from tests.people import member
from tests.reports.summarised import summarised_demo_data

DATASET_NAMES = list(DATASETS)
# Which summary tables each file reads.
SUMMARY_OF = {
    "casualties": "casualties",
    "incidents": "incidents",
    "land-release": "land_release",
    "risk-education": "risk_education",
    "victim-assistance": "assistance",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with summarised_demo_data(django_db_blocker, seed=23):
        yield


def _client(user=None, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_authenticate(user)
    return client


def _file(client, name: str, params: dict | None = None) -> list[list[str]]:
    response = client.get(f"/api/v1/open-data/{name}.csv", params or {})
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def _lines(client, name: str, params: dict | None = None) -> dict[tuple, dict]:
    """The file's lines by their key (year and région, or year and service), as header -> cell."""
    _headings, hashtags, *rows = _file(client, name, params)
    keys = {"victim-assistance": ("#date+year", "#service+code"), "incidents": ("#date+year", "#adm1+code",
            "#item+type+code")}.get(name, ("#date+year", "#adm1+code"))  # fmt: skip
    lines = {}
    for row in rows:
        cells = dict(zip(hashtags, row, strict=True))
        lines[tuple(cells[key] for key in keys)] = cells
    return lines


def _statistics(client, endpoint: str, params: dict) -> dict:
    response = client.get(f"/api/v1/statistics/{endpoint}/", params)
    assert response.status_code == 200, response.json()
    return response.json()


def _region_statistics(client, endpoint: str, groups: str, filters: dict, computed_from: str) -> list[dict]:
    answer = _statistics(client, endpoint, {"group_by": f"year,admin_area,{groups}".rstrip(","),
                                            "admin_area_level": 1, **filters})  # fmt: skip
    assert answer["computed_from"] == computed_from
    return answer["results"]


def _key(row) -> tuple[str, str]:
    return str(row["year"]), row["admin_area"] or ""


def _expected(client, name: str, filters: dict, computed_from: str) -> dict[tuple, dict]:
    """What the statistics endpoints answer for the same filters, summed into the file's lines (keyed
    and named by hashtag), computed here apart from the file's own pivot."""
    expected: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    if name == "casualties":
        tags = {"killed": "#affected+killed", "injured": "#affected+injured"}
        for row in _region_statistics(client, "casualties", "outcome", filters, computed_from):
            expected[_key(row)][tags[row["outcome"]]] += row["count"]
            expected[_key(row)]["#affected+total"] += row["count"]
        people = {("female", "adult"): "+f+adults", ("male", "adult"): "+m+adults", ("female", "child"): "+f+children",
                  ("male", "child"): "+m+children"}  # fmt: skip
        for row in _region_statistics(client, "casualties", "sex,age_group", filters, computed_from):
            tag = "#affected" + people.get((row["sex"], row["age_group"]), "+sex_age_unknown")
            expected[_key(row)][tag] += row["count"]
        status = {"civilian": "civilians", "military": "military", "deminer": "deminers", "unknown": "status_unknown"}
        for row in _region_statistics(client, "casualties", "civilian_status", filters, computed_from):
            expected[_key(row)][f"#affected+{status[row['civilian_status']]}"] += row["count"]
    elif name == "incidents":
        for row in _region_statistics(client, "incidents", "device_category", filters, computed_from):
            expected[(*_key(row), row["device_category"])]["#indicator+incidents+num"] += row["count"]
    elif name == "land-release":
        for row in _region_statistics(client, "land-release-activities", "", filters, computed_from):
            line = expected[_key(row)]
            line["#indicator+activities+num"] += row["count"]
            for way in ("cancelled", "reduced", "cleared"):
                line[f"#indicator+land_{way}+m2+num"] += row[f"area_{way}_m2"]
                line["#indicator+land_released+m2+num"] += row[f"area_{way}_m2"]
    elif name == "risk-education":
        people = {"girls": "+f+children", "boys": "+m+children", "women": "+f+adults", "men": "+m+adults",
                  "with_disability": "+disabled", "beneficiaries": "+total"}  # fmt: skip
        for row in _region_statistics(client, "risk-education-sessions", "", filters, computed_from):
            expected[_key(row)]["#indicator+sessions+num"] += row["count"]
            for key, attributes in people.items():
                expected[_key(row)][f"#reached{attributes}"] += row[key]
    else:
        answer = _statistics(client, "assistance-services", {"group_by": "year,service_type", **filters})
        assert answer["computed_from"] == computed_from
        for row in answer["results"]:
            line = expected[(str(row["year"]), row["service_type"])]
            line["#indicator+services+num"] += row["count"]
            line["#reached+survivors"] += row["survivors"]
    return expected


def _same_figures(lines: dict[tuple, dict], expected: dict[tuple, dict]) -> None:
    assert set(lines) == set(expected)
    for key, figures in expected.items():
        for tag, value in figures.items():
            assert float(lines[key][tag]) == pytest.approx(value, abs=0.2), (key, tag)
        # A figure the statistics have no row for is a zero in the file.
        for tag, cell in lines[key].items():
            if tag not in figures and not tag.endswith(("+year", "+code", "+name")):
                assert float(cell) == 0, (key, tag)


def _busiest_region() -> str:
    busiest = CasualtySummary.objects.filter(area_1__isnull=False).order_by("-count")
    return busiest.values_list("area_1", flat=True).first()


def _busiest_year() -> int:
    return CasualtySummary.objects.order_by("-count").values_list("year", flat=True).first()


# --- The list ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_names_each_data_set_with_its_file_and_the_hashtag_of_each_column(officer):
    response = _client(officer).get("/api/v1/open-data/")
    assert response.status_code == 200
    body = response.json()
    assert [dataset["name"] for dataset in body] == [
        "casualties", "incidents", "land-release", "risk-education", "victim-assistance",
    ]  # fmt: skip
    casualties = body[0]
    assert set(casualties) == {"name", "title", "description", "url", "columns"}
    assert casualties["title"] == "Casualties by year and region"
    assert casualties["url"] == "http://testserver/api/v1/open-data/casualties.csv"
    assert casualties["columns"][:5] == [
        {"key": "year", "label": "Year", "hxl": "#date+year"},
        {"key": "pcode", "label": "Region P-code", "hxl": "#adm1+code"},
        {"key": "region", "label": "Region", "hxl": "#adm1+name"},
        {"key": "killed", "label": "Killed", "hxl": "#affected+killed"},
        {"key": "injured", "label": "Injured", "hxl": "#affected+injured"},
    ]
    assert [column["hxl"] for column in body[4]["columns"]] == [
        "#date+year", "#service+code", "#service+name", "#indicator+services+num", "#reached+survivors",
    ]  # fmt: skip


# --- The files -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", DATASET_NAMES)
def test_each_file_is_utf8_csv_with_headings_then_hxl_hashtags_then_figures(demo, officer, name):
    response = _client(officer).get(f"/api/v1/open-data/{name}.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="ml-{name}.csv"'
    assert response["X-Figures-Up-To-Date"] == "true"
    assert parsedate_to_datetime(response["Last-Modified"]).tzinfo is not None
    headings, hashtags, *rows = csv.reader(io.StringIO(response.content.decode("utf-8")))
    assert headings == [str(column.label) for column in DATASETS[name].columns]
    assert hashtags == [column.hxl for column in DATASETS[name].columns]
    assert all(tag.startswith("#") and " " not in tag for tag in hashtags)
    assert len(set(hashtags)) == len(hashtags)
    assert len(rows) > 10
    assert {len(row) for row in rows} == {len(headings)}
    assert all(row[0].isdigit() for row in rows)


@pytest.mark.django_db
def test_headings_and_names_are_in_the_request_language_and_hashtags_stay(demo, officer):
    english = _file(_client(officer, "en"), "risk-education")
    french = _file(_client(officer, "fr"), "risk-education")
    assert english[0][:4] == ["Year", "Region P-code", "Region", "Sessions"]
    assert french[0][:3] == ["Année", "P-code (Région)", "Région"]
    assert french[1] == english[1]
    # Région names too are in the reader's language; the figures are the same.
    names = {area.pcode: area.name_in("fr") for area in AdministrativeArea.objects.filter(level=1)}
    assert [row[:2] + row[3:] for row in french[2:]] == [row[:2] + row[3:] for row in english[2:]]
    with translation.override("fr"):
        nowhere = translation.gettext("Not placed in an area")
    assert [row[2] for row in french[2:]] == [names.get(row[1], nowhere) for row in french[2:]]


@pytest.mark.django_db
@pytest.mark.parametrize("name", DATASET_NAMES)
@pytest.mark.parametrize("selection", ["everything", "year", "region", "dates"])
@pytest.mark.parametrize("refreshed", [True, False], ids=["from summaries", "from records"])
def test_the_figures_are_those_of_the_statistics_endpoints(demo, officer, name, selection, refreshed):
    params, filters = {}, {}
    if selection == "year":
        year = _busiest_year()
        params, filters = {"year": year}, {"date_after": f"{year}-01-01", "date_before": f"{year}-12-31"}
    elif selection == "region":
        params = filters = {"admin_area": _busiest_region()}
    elif selection == "dates":
        # Not whole months: the records answer, whatever the summaries hold.
        params = filters = {"date_after": "2019-03-15", "date_before": "2022-10-20"}
    if not refreshed:
        SummaryState.objects.update(refreshed_at=None)
    computed_from = "summary" if refreshed and selection != "dates" else "records"
    client = _client(officer)
    response = client.get(f"/api/v1/open-data/{name}.csv", params)
    assert response.status_code == 200
    if computed_from == "summary":
        assert response["Last-Modified"] == http_date(
            SummaryState.objects.get(name=SUMMARY_OF[name]).refreshed_at.timestamp()
        )
    lines = _lines(client, name, params)
    assert lines
    _same_figures(lines, _expected(client, name, filters, computed_from))


@pytest.mark.django_db
def test_a_year_gives_that_year_only_and_names_the_file_after_it(demo, officer):
    client = _client(officer)
    year = _busiest_year()
    every_year = _file(client, "casualties")[2:]
    response = client.get("/api/v1/open-data/casualties.csv", {"year": year, "admin_area": _busiest_region()})
    assert response["Content-Disposition"] == f'attachment; filename="ml-casualties-{year}-{_busiest_region()}.csv"'
    one_year = _file(client, "casualties", {"year": year})[2:]
    assert one_year == [row for row in every_year if row[0] == str(year)]
    assert len({row[0] for row in every_year}) > 1
    # The summaries and the records agree on a year's incidents known only by their year or month.
    SummaryState.objects.update(refreshed_at=None)
    assert _file(client, "casualties", {"year": year})[2:] == one_year


@pytest.mark.django_db
def test_up_to_date_says_false_while_records_changed_since_the_summary(demo, officer):
    client = _client(officer)
    state = SummaryState.objects.get(name="casualties")
    SummaryState.objects.filter(name="casualties").update(changed_at=state.refreshed_at + datetime.timedelta(seconds=1))
    response = client.get("/api/v1/open-data/casualties.csv")
    assert response["X-Figures-Up-To-Date"] == "false"
    assert response["Last-Modified"] == http_date(state.refreshed_at.timestamp())
    assert client.get("/api/v1/open-data/incidents.csv")["X-Figures-Up-To-Date"] == "true"


@pytest.mark.django_db
def test_a_client_that_accepts_only_csv_gets_the_file_and_its_errors_as_json(demo, officer):
    client = _client(officer)
    response = client.get("/api/v1/open-data/incidents.csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    refused = client.get("/api/v1/open-data/incidents.csv", {"year": "soon"}, HTTP_ACCEPT="text/csv")
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/json"
    assert refused.json() == {"year": ["A valid integer is required."]}


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"year": "2021a"}, {"year": ["A valid integer is required."]}),
        ({"year": "1899"}, {"year": ["Ensure this value is greater than or equal to 1900."]}),
        ({"year": "2101"}, {"year": ["Ensure this value is less than or equal to 2100."]}),
        ({"date_after": "2021-02-30"}, {"date_after": [
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"date_before": "yesterday"}, {"date_before": [
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"date_after": "2022-01-01", "date_before": "2021-12-31"}, {"date_before": [
            "The last day comes after the first."]}),
        ({"year": "2021", "date_after": "2021-06-01"}, {"year": ["Give a year or a first and last day, not both."]}),
        ({"admin_area": "XX99"}, {"admin_area": ["No administrative area has this P-code."]}),
    ],
)  # fmt: skip
def test_bad_parameters_answer_400_with_the_field_at_fault(officer, params, errors):
    response = _client(officer).get("/api/v1/open-data/casualties.csv", params)
    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.django_db
def test_an_unknown_data_set_answers_404_in_json(officer):
    response = _client(officer).get("/api/v1/open-data/identities.csv")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no open data set of this name."}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/open-data/", "/api/v1/open-data/casualties.csv"])
def test_anonymous_readers_are_refused_unless_open_data_is_public(demo, officer, settings, path):
    response = _client().get(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    settings.OPEN_DATA_PUBLIC = True
    public = _client().get(path)
    assert public.status_code == 200
    assert public.content == _client(officer).get(path).content


@pytest.mark.django_db
def test_the_public_reads_the_approved_national_figures_from_the_records_too(demo, officer, settings):
    settings.OPEN_DATA_PUBLIC = True
    SummaryState.objects.update(refreshed_at=None)
    for name in DATASET_NAMES:
        public = _file(_client(), name)
        assert len(public) > 2
        assert public == _file(_client(officer), name)


@pytest.mark.django_db
def test_a_role_without_statistics_is_refused_until_open_data_is_public(django_user_model, partner_a, settings):
    field_user = member(django_user_model, "seydou.field", partner_a, "partner_field_user")
    response = _client(field_user).get("/api/v1/open-data/casualties.csv")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not read statistics."}
    settings.OPEN_DATA_PUBLIC = True
    assert _client(field_user).get("/api/v1/open-data/casualties.csv").status_code == 200


@pytest.mark.django_db
def test_a_partner_reads_the_same_national_figures_as_the_authority(demo, officer, partner_user, partner_a):
    from incidents.models import Incident

    # The partner's own drafts and submissions are there, and must not count.
    assert Incident.objects.filter(organisation=partner_a).exclude(status="approved").exists()
    for refreshed in (True, False):
        if not refreshed:
            SummaryState.objects.update(refreshed_at=None)
        for name in DATASET_NAMES:
            assert _file(_client(partner_user), name) == _file(_client(officer), name), (name, refreshed)


# --- No person, no organisation ------------------------------------------------------------------


@pytest.mark.django_db
def test_no_cell_carries_personal_data_or_an_organisation(demo, officer):
    client = _client(officer)
    regions = AdministrativeArea.objects.filter(level=1)
    allowed = {"", "Not placed in an area", *regions.values_list("pcode", flat=True)}
    allowed |= {area.name_in("en") for area in regions}
    allowed |= {choice for pair in OrdnanceCategory.choices for choice in pair}
    from assistance.models import AssistanceService

    allowed |= {choice for pair in AssistanceService.ServiceType.choices for choice in pair}
    identities = CasualtyIdentity.objects.all()
    assert identities.exists()
    personal = {value for row in identities.values_list("full_name", "address", "phone", "contact_person")
                for value in row if value}  # fmt: skip
    organisations = {value for row in Organisation.objects.values_list("acronym", "name") for value in row if value}
    for name in DATASET_NAMES:
        _headings, hashtags, *rows = _file(client, name)
        assert not [tag for tag in hashtags if tag.split("+")[0] in ("#org", "#contact", "#loc", "#geo", "#meta")]
        for row in rows:
            for tag, cell in zip(hashtags, row, strict=True):
                assert cell not in personal, (name, tag)
                assert cell not in organisations, (name, tag)
                if tag.endswith(("+code", "+name")):
                    assert cell in allowed, (name, tag, cell)
                else:
                    # Every other cell is a year or a figure.
                    assert float(cell) >= 0, (name, tag, cell)


def test_a_text_cell_that_looks_like_a_formula_is_neutralised():
    rows = [
        {"year": 2021, "admin_area": "ML05", "outcome": "killed", "sex": "female", "age_group": "child",
         "civilian_status": "civilian", "count": 2},
        {"year": 2021, "admin_area": "ML05", "outcome": "injured", "sex": "male", "age_group": "adult",
         "civilian_status": "military", "count": 3},
        {"year": 2021, "admin_area": None, "outcome": "injured", "sex": "unknown", "age_group": "adult",
         "civilian_status": "unknown", "count": 1},
    ]  # fmt: skip
    table = casualty_table(rows, {"ML05": '=HYPERLINK("http://example.org","Mopti")'})
    data = OpenData(DATASETS["casualties"], table, datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC), True)
    _headings, _hashtags, mopti, nowhere = csv_lines(data)
    assert mopti == [2021, "ML05", '\'=HYPERLINK("http://example.org","Mopti")', 2, 3, 0, 3, 2, 0, 0, 2, 3, 0, 0, 5]
    assert nowhere == [2021, "", "Not placed in an area", 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1]
