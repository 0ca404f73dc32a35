"""Summary tables: the statistics endpoints answer from them with the figures the base tables give,
on random requests over the demo data with its statuses, deletions and imprecise dates."""

import datetime
import random

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from reference.models import AdministrativeArea
from reports import summaries
from reports.models import CasualtySummary, SummaryState
from tests.people import member
from tests.reports.summarised import summarised_demo_data

ENDPOINTS = {
    "casualties": "casualties",
    "incidents": "incidents",
    "hazard_areas": "hazard-areas",
    "land_release": "land-release-activities",
    "risk_education": "risk-education-sessions",
    "assistance": "assistance-services",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with summarised_demo_data(django_db_blocker, seed=7):
        yield


def _client(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def _random_request(rng: random.Random, name: str, pcodes: list[str]) -> dict:
    summary = summaries.SUMMARIES[name]
    view = summary.view
    groups = list(view.groups)
    group_by = rng.sample(groups, rng.randint(1, min(3, len(groups))))
    params = {"group_by": ",".join(group_by)}
    if "admin_area" in group_by and rng.random() < 0.6:
        params["admin_area_level"] = str(rng.choice([1, 2, 3]))
    filterset = view.filterset_class
    for filter_name in summary.filters:
        if filter_name in view.filters and rng.random() < 0.3:
            choices = [value for value, _label in filterset.base_filters[filter_name].extra["choices"]]
            params[filter_name] = rng.sample(choices, rng.randint(1, min(2, len(choices))))
    if rng.random() < 0.4:
        year = rng.randint(2015, 2024)
        params["date_after"] = datetime.date(year, rng.randint(1, 12), 1).isoformat()
    if rng.random() < 0.4:
        year, month = rng.randint(2016, 2025), rng.randint(1, 12)
        last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).isoformat()
        params["date_before"] = last
    if rng.random() < 0.3:
        params["admin_area"] = rng.choice(pcodes)
    return params


def _answers(client, name: str, requests: list[dict]) -> list[dict]:
    answers = []
    for params in requests:
        response = client.get(f"/api/v1/statistics/{ENDPOINTS[name]}/", params)
        assert response.status_code == 200, (params, response.json())
        answers.append(response.json())
    return answers


def _same_rows(summary_rows: list[dict], base_rows: list[dict], params: dict) -> None:
    assert len(summary_rows) == len(base_rows), params
    for ours, theirs in zip(summary_rows, base_rows, strict=True):
        assert ours.keys() == theirs.keys(), params
        for key, value in theirs.items():
            if isinstance(value, float):
                assert ours[key] == pytest.approx(value, abs=0.2), (params, key)
            else:
                assert ours[key] == value, (params, key, ours, theirs)


def _compare(client, name: str, requests: list[dict]) -> None:
    from_summary = _answers(client, name, requests)
    assert {answer["computed_from"] for answer in from_summary} == {"summary"}
    refreshed = SummaryState.objects.get(name=name).refreshed_at
    SummaryState.objects.filter(name=name).update(refreshed_at=None)
    try:
        from_records = _answers(client, name, requests)
    finally:
        SummaryState.objects.filter(name=name).update(refreshed_at=refreshed)
    assert {answer["computed_from"] for answer in from_records} == {"records"}
    for params, ours, theirs in zip(requests, from_summary, from_records, strict=True):
        _same_rows(ours["results"], theirs["results"], params)
        assert ours["total"] == theirs["total"], params
        if "totals" in theirs:
            assert ours["totals"] == pytest.approx(theirs["totals"], abs=0.5), params


def _pcodes() -> list[str]:
    pcodes = list(AdministrativeArea.objects.filter(level__in=[1, 2]).values_list("pcode", flat=True).distinct())
    return [*random.Random(3).sample(pcodes, min(12, len(pcodes))), "ML", "XX99"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_every_statistics_endpoint_answers_from_its_summary_what_the_records_give(demo, officer, name):
    rng = random.Random(name)
    pcodes = _pcodes()
    requests = [_random_request(rng, name, pcodes) for _ in range(40)]
    _compare(_client(officer), name, requests)


@pytest.mark.django_db
def test_a_partner_and_an_authority_limited_to_a_region_get_the_same_figures_either_way(
    demo, django_user_model, partner_a, authority
):
    partner = member(django_user_model, "fanta.partner", partner_a, "partner_data_manager")
    regional = member(django_user_model, "ibrahim.mopti", authority, "information_management_officer")
    # The région with the most casualties.
    busiest = (
        CasualtySummary.objects.values("area_1").annotate(n=Sum("count")).order_by("-n").values_list("area_1")[0][0]
    )
    regional.profile.regions.add(AdministrativeArea.objects.filter(pcode=busiest).first())
    rng = random.Random(11)
    pcodes = _pcodes()
    for user in (partner, regional):
        for name in ("casualties", "land_release", "assistance"):
            _compare(_client(user), name, [_random_request(rng, name, pcodes) for _ in range(10)])
    # The région limit is applied: the regional officer counts fewer casualties than the country.
    national = _client(partner).get("/api/v1/statistics/casualties/", {"group_by": "year"}).json()["total"]
    limited = _client(regional).get("/api/v1/statistics/casualties/", {"group_by": "year"}).json()
    assert limited["computed_from"] == "summary"
    assert 0 < limited["total"] < national


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "-4,13,-2,16"},
        {"organisation": "HI"},
        {"include_submitted": "true"},
        {"date_after": "2020-03-15"},
        {"date_before": "2020-03-15"},
    ],
)
def test_what_a_summary_cannot_answer_is_counted_in_the_records(demo, officer, params):
    response = _client(officer).get("/api/v1/statistics/casualties/", {"group_by": "year", **params})
    assert response.status_code == 200
    assert response.json()["computed_from"] == "records"
    assert response.json()["up_to_date"] is True


@pytest.mark.django_db
def test_the_answer_says_how_fresh_its_figures_are(demo, officer):
    client = _client(officer)
    state = SummaryState.objects.get(name="incidents")
    answer = client.get("/api/v1/statistics/incidents/", {"group_by": "year"}).json()
    assert answer["computed_from"] == "summary"
    assert datetime.datetime.fromisoformat(answer["as_of"]) == state.refreshed_at
    assert answer["up_to_date"] is True
    SummaryState.objects.filter(name="incidents").update(changed_at=state.refreshed_at + datetime.timedelta(seconds=1))
    assert client.get("/api/v1/statistics/incidents/", {"group_by": "year"}).json()["up_to_date"] is False


@pytest.mark.django_db
def test_the_dashboard_reads_the_summaries_with_the_same_figures(demo, client, officer):
    client.force_login(officer)
    with_summaries = client.get("/dashboard/casualties-by-year.csv").content
    items = client.get("/dashboard/items-destroyed.csv").content
    SummaryState.objects.update(refreshed_at=None)
    from django.core.cache import cache

    cache.clear()
    assert client.get("/dashboard/casualties-by-year.csv").content == with_summaries
    assert client.get("/dashboard/items-destroyed.csv").content == items


@pytest.mark.django_db
def test_the_schedule_refreshes_what_changed_every_ten_minutes_and_everything_nightly(demo):
    tasks = {task.name: task for task in PeriodicTask.objects.filter(task="reports.summaries_refresh_due")}
    assert {(task.interval.every, task.interval.period) for task in tasks.values() if task.interval} == {
        (10, "minutes")
    }
    nightly = [task for task in tasks.values() if task.crontab]
    assert len(nightly) == 1
    assert nightly[0].kwargs == '{"everything": true}'
    SummaryState.objects.filter(name="items").update(changed_at=timezone.now())
    assert summaries.refresh_due() == ["items"]
    assert summaries.refresh_due() == []
    assert sorted(summaries.refresh_due(everything=True)) == sorted(summaries.SUMMARIES)


@pytest.mark.django_db
def test_the_dashboard_says_how_fresh_its_figures_are(demo, client, officer):
    from django.core.cache import cache

    client.force_login(officer)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Approved records as of" in html
    assert "Recent approvals are being counted" not in html
    SummaryState.objects.filter(name="casualties").update(changed_at=timezone.now() + datetime.timedelta(minutes=1))
    cache.clear()
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Recent approvals are being counted: reload in a minute." in html
