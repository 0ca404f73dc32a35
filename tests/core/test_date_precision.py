"""Dates known to the day, the month or the year (core.dates): stored as the first day of their
period, plausible by the period, counted in their year and never in a month when only the year is
known, and never enough on their own to call two incidents one."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts import roles
from accounts.models import Profile
from assistance.services import survivor_create
from core.dates import month_expression, period_end
from core.exceptions import ApplicationError
from core.models import DatePrecision, RecordStatus
from incidents.models import Casualty, Incident
from incidents.reconciliation import incident_duplicate_candidates
from incidents.services import incident_create
from quality.selectors import incidents_duplicate

# The API personas (authority officer, partner A's alice), as fixtures.
from tests.api.conftest import *  # noqa: F403
from tests.api.helpers import GAO_POINT, MOPTI_POINT, MOPTI_SQUARE, hazard_payload, incident_payload
from tests.geo import GAO, point

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_YEAR = TODAY.year
# Four days of window (RECONCILIATION_DAYS = 3, the day itself included) over a year of 365 days.
YEAR_SHARE = 4 / 365


def _incident(user, organisation, day, precision=DatePrecision.DAY, *, device="uxo", killed=1, where=GAO, **data):
    return incident_create(
        user=user,
        organisation=organisation,
        data={
            "incident_class": "uxo_axo",
            "incident_date": day,
            "date_precision": precision,
            "location": point(where),
            "device_category_reported": device,
            **data,
        },
        casualties=[{"outcome": "killed", "sex": "male", "civilian_status": "civilian"}] * killed,
    )


# --- Normalisation and plausibility ----------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "stored"),
    [("day", datetime.date(2003, 7, 14)), ("month", datetime.date(2003, 7, 1)), ("year", datetime.date(2003, 1, 1))],
)
def test_a_date_is_stored_as_the_first_day_of_its_period(officer_user, partner_a, precision, stored):
    incident = _incident(officer_user, partner_a, datetime.date(2003, 7, 14), precision)
    incident.refresh_from_db()
    assert (incident.incident_date, incident.date_precision) == (stored, precision)


def test_a_record_that_says_nothing_is_known_to_the_day(officer_user, partner_a):
    incident = incident_create(
        user=officer_user,
        organisation=partner_a,
        data={"incident_class": "uxo_axo", "incident_date": datetime.date(2003, 7, 14), "location": point(GAO)},
    )
    incident.refresh_from_db()
    assert (incident.incident_date, incident.date_precision) == (datetime.date(2003, 7, 14), "day")


def test_a_period_is_in_the_future_only_before_it_begins(officer_user, partner_a):
    # Known only by this year, or this month: accepted before the year or the month is over.
    this_year = _incident(officer_user, partner_a, datetime.date(THIS_YEAR, 12, 31), DatePrecision.YEAR)
    assert this_year.incident_date == datetime.date(THIS_YEAR, 1, 1)
    this_month = _incident(officer_user, partner_a, period_end(TODAY, DatePrecision.MONTH), DatePrecision.MONTH)
    assert this_month.incident_date == TODAY.replace(day=1)

    future = {"incident_date": ["The date cannot be in the future."]}
    for day, precision in (
        (datetime.date(THIS_YEAR + 1, 1, 1), DatePrecision.YEAR),
        (period_end(TODAY, DatePrecision.MONTH) + datetime.timedelta(days=1), DatePrecision.MONTH),
        (TODAY + datetime.timedelta(days=1), DatePrecision.DAY),
    ):
        with pytest.raises(ApplicationError) as exc:
            _incident(officer_user, partner_a, day, precision)
        assert exc.value.errors == future, precision
    assert Incident.objects.count() == 2


def test_a_time_goes_with_an_exact_day(officer_user, partner_a):
    with pytest.raises(ApplicationError) as exc:
        _incident(officer_user, partner_a, datetime.date(2003, 7, 14), DatePrecision.MONTH, incident_time="07:40")
    assert exc.value.errors == {"incident_time": ["A time goes with an exact day: leave it empty, or give the day."]}


def test_a_child_born_in_the_year_of_an_incident_known_by_its_year_is_no_contradiction(officer_user, partner_a):
    incident = incident_create(
        user=officer_user,
        organisation=partner_a,
        data={"incident_class": "uxo_axo", "incident_date": "2003-01-01", "date_precision": "year",
              "location": point(GAO)},
        casualties=[{"outcome": "injured", "sex": "female", "age": 0,
                     "identity": {"full_name": "Awa Maïga", "date_of_birth": datetime.date(2003, 5, 1)}}],
    )  # fmt: skip
    assert Casualty.objects.get(incident=incident).identity.date_of_birth == datetime.date(2003, 5, 1)
    # Born after the last day of the period: still refused.
    with pytest.raises(ApplicationError) as exc:
        incident_create(
            user=officer_user,
            organisation=partner_a,
            data={"incident_class": "uxo_axo", "incident_date": "2003-01-01", "date_precision": "year",
                  "location": point(GAO)},
            casualties=[{"outcome": "injured", "sex": "female",
                         "identity": {"full_name": "Awa Maïga", "date_of_birth": datetime.date(2004, 1, 2)}}],
        )  # fmt: skip
    assert exc.value.errors == {
        "casualties[0].identity.date_of_birth": ["The date of birth cannot be after the incident."]
    }


# --- The API ----------------------------------------------------------------------------------


@pytest.fixture
def survivor(officer_user, partner_a):
    incident = incident_create(
        user=officer_user,
        organisation=partner_a,
        data={"incident_class": "uxo_axo", "incident_date": "2003-03-01", "location": point(GAO)},
        casualties=[{"outcome": "injured", "sex": "male", "civilian_status": "civilian"}],
    )
    return survivor_create(user=officer_user, organisation=partner_a, data={"casualty": incident.casualties.get()})


def _payloads(survivor) -> dict[str, tuple[str, dict]]:
    """Each dated resource: its date field and a body without the date."""
    return {
        "incidents": ("incident_date", incident_payload()),
        "hazard-areas": ("survey_date", hazard_payload()),
        "land-release-activities": ("start_date", {"kind": "marking", "location": MOPTI_POINT}),
        "risk-education-sessions": ("session_date", {"location": MOPTI_POINT, "method": "direct",
                                                     "target_group": "school", "girls": 12}),
        "community-reports": ("report_date", {"subject": "area", "location": GAO_POINT,
                                              "suspected_area": MOPTI_SQUARE}),
        "assistance-services": ("start_date", {"survivor": survivor.pk, "service_type": "prosthesis",
                                               "provider_name": "CRAO Bamako"}),
    }  # fmt: skip


@pytest.mark.parametrize(
    "resource",
    ["incidents", "hazard-areas", "land-release-activities", "risk-education-sessions", "community-reports",
     "assistance-services"],
)  # fmt: skip
def test_every_dated_resource_reads_and_writes_its_precision(api_alice, survivor, resource):
    field, body = _payloads(survivor)[resource]
    created = api_alice.post(
        f"/api/v1/{resource}/", {**body, field: "2003-07-14", "date_precision": "year"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert (created.json()[field], created.json()["date_precision"]) == ("2003-01-01", "year")
    url = f"/api/v1/{resource}/{created.json()['id']}/"
    assert api_alice.get(url).json()[field] == "2003-01-01"

    # The month becomes known: the date is kept to the month.
    changed = api_alice.patch(url, {field: "2003-07-14", "date_precision": "month"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()[field], changed.json()["date_precision"]) == ("2003-07-01", "month")
    # Then the day: an exact date says so.
    changed = api_alice.patch(url, {field: "2003-07-14", "date_precision": "day"}, format="json")
    assert (changed.json()[field], changed.json()["date_precision"]) == ("2003-07-14", "day")
    # A record sent without a precision is known to the day.
    plain = api_alice.post(f"/api/v1/{resource}/", {**body, field: "2003-07-15"}, format="json").json()
    assert (plain[field], plain["date_precision"]) == ("2003-07-15", "day")


def test_a_year_or_a_month_alone_sets_the_precision(api_alice):
    year = api_alice.post("/api/v1/incidents/", incident_payload(incident_date="2003"), format="json")
    assert year.status_code == 201, year.json()
    assert (year.json()["incident_date"], year.json()["date_precision"]) == ("2003-01-01", "year")
    month = api_alice.post("/api/v1/incidents/", incident_payload(incident_date="2003-07"), format="json")
    assert (month.json()["incident_date"], month.json()["date_precision"]) == ("2003-07-01", "month")
    # A month with a coarser precision is the year; a year with a finer one is refused.
    coarser = api_alice.post(
        "/api/v1/incidents/", incident_payload(incident_date="2003-07", date_precision="year"), format="json"
    )
    assert (coarser.json()["incident_date"], coarser.json()["date_precision"]) == ("2003-01-01", "year")
    finer = api_alice.post(
        "/api/v1/incidents/", incident_payload(incident_date="2003", date_precision="day"), format="json"
    )
    assert finer.status_code == 400
    assert finer.json() == {"incident_date": ['Only the year is given: send the full date, or date_precision "year".']}
    for wrong in ("2003-13", "14/07/2003"):
        answer = api_alice.post("/api/v1/incidents/", incident_payload(incident_date=wrong), format="json")
        assert answer.json() == {
            "incident_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD, YYYY-MM, YYYY."]
        }, wrong
    assert Incident.objects.count() == 3


def test_a_service_of_a_year_may_follow_an_incident_of_that_year(api_alice, survivor):
    body = {"survivor": survivor.pk, "service_type": "prosthesis", "provider_name": "CRAO Bamako"}
    # The incident happened on 1 March 2003: a service in 2003 may have followed it...
    later = api_alice.post(
        "/api/v1/assistance-services/", {**body, "start_date": "2003", "date_precision": "year"}, format="json"
    )
    assert later.status_code == 201, later.json()
    # ...a service on a day before it may not.
    before = api_alice.post("/api/v1/assistance-services/", {**body, "start_date": "2003-02-28"}, format="json")
    assert before.json() == {"start_date": ["A service cannot start before the incident (2003-03-01)."]}


# --- Statistics --------------------------------------------------------------------------------


def test_statistics_by_month_count_a_year_precise_incident_in_its_year_and_in_no_month(
    officer_user, partner_a, api_officer
):
    for day, precision, killed in (
        (datetime.date(2003, 3, 10), DatePrecision.DAY, 2),
        (datetime.date(2003, 3, 1), DatePrecision.MONTH, 1),
        (datetime.date(2003, 1, 1), DatePrecision.YEAR, 3),
        (datetime.date(2004, 1, 5), DatePrecision.DAY, 1),
        (datetime.date(2004, 1, 1), DatePrecision.YEAR, 1),
    ):
        _incident(officer_user, partner_a, day, precision, killed=killed)
    Incident.objects.update(status=RecordStatus.APPROVED)

    by_month = api_officer.get("/api/v1/statistics/casualties/?group_by=month").json()
    assert by_month["total"] == 8
    assert by_month["results"] == [
        {"year": 2003, "month": "2003-03", "count": 3},
        {"year": 2003, "month": None, "count": 3},
        {"year": 2004, "month": "2004-01", "count": 1},
        {"year": 2004, "month": None, "count": 1},
    ]
    by_year = api_officer.get("/api/v1/statistics/casualties/?group_by=year").json()
    assert by_year["results"] == [{"year": 2003, "count": 6}, {"year": 2004, "count": 2}]
    # The helper others group by: NULL for a year-precise date, the month otherwise.
    months = Incident.objects.annotate(month=month_expression("incident_date", "date_precision"))
    assert sorted(months.values_list("date_precision", "month"), key=str) == [
        ("day", "2003-03"), ("day", "2004-01"), ("month", "2003-03"), ("year", None), ("year", None),
    ]  # fmt: skip


# --- Duplicates --------------------------------------------------------------------------------

REGISTER_DEVICES = ("uxo", "av_mine", "other_ied")


@pytest.fixture
def register(officer_user, partner_a):
    """An old register of Gao: 50 accidents of 2003 known only by their year, all placed at the
    town's point. The first: a UXO that killed one person. Of the 49 others, every third is a UXO
    (the others an AV mine or an IED), killing alternately one person and four."""
    first = _incident(officer_user, partner_a, datetime.date(2003, 1, 1), DatePrecision.YEAR)
    others = [
        _incident(officer_user, partner_a, datetime.date(2003, 1, 1), DatePrecision.YEAR,
                  device=REGISTER_DEVICES[i % 3], killed=(1, 4)[(i // 3) % 2])
        for i in range(49)
    ]  # fmt: skip
    alike = [incident for i, incident in enumerate(others) if i % 3 == 0 and (i // 3) % 2 == 0]
    return {"first": first, "others": others, "alike": alike}


def test_fifty_accidents_of_one_year_and_place_are_not_all_duplicates(register, officer_user):
    candidates = incident_duplicate_candidates(incident=register["first"], user=officer_user)
    # Only the same device with the same casualties: 9 of 49, though all share the year and the point.
    assert sorted(c.pk for c in candidates) == sorted(i.pk for i in register["alike"])
    assert len(candidates) == 9
    assert {c.days_apart for c in candidates} == {0}
    # Same place, casualties and device; a shared year is a sliver of nearness in time.
    assert candidates[0].score == pytest.approx(0.3 + 0.2 * YEAR_SHARE + 0.3 + 0.2, abs=1e-6)
    # The quality report's exact check compares days only: none of the register is listed.
    assert not incidents_duplicate(user=officer_user).filter(date_precision=DatePrecision.YEAR).exists()


def test_a_day_of_the_year_is_compatible_with_the_year_but_weakly(register, officer_user, partner_a):
    day = _incident(officer_user, partner_a, datetime.date(2003, 6, 10))
    other_device = _incident(officer_user, partner_a, datetime.date(2003, 6, 12), device="av_mine", killed=4)
    from_the_year = incident_duplicate_candidates(incident=register["first"], user=officer_user)
    assert day.pk in {c.pk for c in from_the_year}
    assert other_device.pk not in {c.pk for c in from_the_year}

    from_the_day = incident_duplicate_candidates(incident=day, user=officer_user)
    # The year-precise records where casualties and device agree, first: alike in all but the day.
    assert {c.pk for c in from_the_day[:-1]} == {register["first"].pk, *(i.pk for i in register["alike"])}
    assert from_the_day[0].score == pytest.approx(0.3 + 0.2 * YEAR_SHARE + 0.3 + 0.2, abs=1e-6)
    # Between exact days, as before: the AV mine two days later is listed on place and time alone.
    last = from_the_day[-1]
    assert (last.pk, last.days_apart) == (other_device.pk, 2)
    assert last.score == pytest.approx(0.3 + 0.2 * (1 - 2 / 4) + 0.3 * (1 - 3 / 4), abs=1e-6)

    # Two day-precise accidents at one point on one day: the quality report lists the second.
    twin = _incident(officer_user, partner_a, datetime.date(2003, 6, 10), device="av_mine")
    assert list(incidents_duplicate(user=officer_user).values_list("pk", flat=True)) == [twin.pk]


def test_the_gap_between_periods_counts_across_a_new_year(officer_user, partner_a):
    late = _incident(officer_user, partner_a, datetime.date(2002, 1, 1), DatePrecision.YEAR)
    early = _incident(officer_user, partner_a, datetime.date(2003, 1, 3))
    month = _incident(officer_user, partner_a, datetime.date(2003, 1, 1), DatePrecision.MONTH)
    candidates = {c.pk: c for c in incident_duplicate_candidates(incident=early, user=officer_user)}
    # 31 December 2002 to 3 January 2003: 3 days, within the window; January 2003 holds the day.
    assert (candidates[late.pk].days_apart, candidates[month.pk].days_apart) == (3, 0)
    assert candidates[month.pk].score == pytest.approx(0.3 + 0.2 * 4 / 31 + 0.3 + 0.2, abs=1e-6)
    assert candidates[late.pk].score == pytest.approx(0.3 + 0.2 * (1 - 3 / 4) * YEAR_SHARE + 0.3 + 0.2, abs=1e-6)


# --- The admin ---------------------------------------------------------------------------------


def test_the_admin_saves_a_year_precise_incident_through_the_service(django_user_model, partner_a):
    from tests.workflow.test_permission_matrix_admin import _form_data

    user = django_user_model.objects.create_user("fanta", password="pw-staff-1", is_staff=True)
    Profile.objects.create(user=user, organisation=partner_a)
    user.groups.add(Group.objects.get(name=roles.PARTNER_DATA_MANAGER))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    url = "/admin/incidents/incident/add/"
    page = client.get(url)
    assert '<option value="year">Year</option>' in page.content.decode()
    response = client.post(
        url,
        {
            **_form_data(page),
            "incident_class": "uxo_axo",
            "incident_date": "2003-07-14",
            "date_precision": "year",
            "location": point(GAO).ewkt,
            "casualties-TOTAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.incident_date, incident.date_precision, incident.created_by) == (
        datetime.date(2003, 1, 1), "year", user,
    )  # fmt: skip


def test_date_filters_keep_a_record_whose_period_overlaps_them(officer_user, partner_a, api_officer):
    year = _incident(officer_user, partner_a, datetime.date(2003, 1, 1), DatePrecision.YEAR)
    march = _incident(officer_user, partner_a, datetime.date(2003, 3, 1))
    december = _incident(officer_user, partner_a, datetime.date(2002, 12, 31))

    def listed(**query) -> list[int]:
        return sorted(r["id"] for r in api_officer.get("/api/v1/incidents/", query).json()["results"])

    # Known only by its year, 2003 reaches past June; the March record does not.
    assert listed(date_after="2003-06-01") == [year.pk]
    assert listed(date_after="2003-01-01") == sorted([year.pk, march.pk])
    assert listed(date_before="2003-02-01") == sorted([year.pk, december.pk])
    assert listed(date_after="2004-01-01") == []
