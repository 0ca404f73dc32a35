import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quality.selectors import CHECKS
from tests.geo import GAO, MOPTI, PARIS, bowtie, point
from tests.quality.conftest import make_hazard, make_incident

pytestmark = pytest.mark.django_db

URL = "/quality/"


def test_the_url_is_named():
    assert reverse("quality:report") == URL


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/quality/"


def test_a_partner_is_refused(client, partner_member):
    client.force_login(partner_member)

    response = client.get(URL)

    assert response.status_code == 403


def test_a_staff_user_without_organisation_is_refused(client, django_user_model):
    from django.contrib.auth.models import Group

    staff = django_user_model.objects.create_user("staff.nobody", password="pw-nobody-1", is_staff=True)
    staff.groups.add(Group.objects.get(name="information_management_officer"))
    client.force_login(staff)

    assert client.get(URL).status_code == 403


def test_authority_staff_read_the_report_in_french_with_links_to_each_record(client, authority_officer, partner_a):
    crossed = make_hazard(partner_a, bowtie(MOPTI))
    incident = make_incident(partner_a, point(PARIS))
    make_hazard(partner_a)
    client.force_login(authority_officer)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert f'<a href="/admin/hazards/hazardarea/{crossed.pk}/change/">{crossed.reference}</a>' in html
    assert f'<a href="/admin/incidents/incident/{incident.pk}/change/">{incident.reference}</a>' in html
    assert "Self-intersection[-4.185 14.495]" in html
    assert 'id="invalid_polygon"' in html
    assert 'id="outside_country"' in html
    # Checks that found nothing get no table, only their line in the summary.
    assert 'id="sliver"' not in html
    assert "<script" not in html
    counts = {result.code: result.count for group in response.context["groups"] for result in group["checks"]}
    assert counts["invalid_polygon"] == 1
    assert counts["outside_country"] == 1
    assert counts["missing_casualties"] == 0
    assert response.context["total"] == 2


def test_a_superuser_reads_the_report(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "a-strong-pass-42"))

    response = client.get(URL)

    assert response.status_code == 200
    assert len([result for group in response.context["groups"] for result in group["checks"]]) == len(CHECKS)


def test_the_report_says_when_a_list_is_cut(client, authority_officer, partner_a, monkeypatch):
    monkeypatch.setattr("quality.views.DEFAULT_LIMIT", 2)
    for _ in range(3):
        make_hazard(partner_a, bowtie(GAO))
    client.force_login(authority_officer)

    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "The first 2 of 3 records are listed." in html


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_page_runs_as_many_queries_for_many_findings_as_for_few(client, authority_officer, partner_a):
    client.force_login(authority_officer)
    make_hazard(partner_a, bowtie(MOPTI))
    make_incident(partner_a, point(PARIS))
    few = _page_queries(client)

    for _ in range(20):
        make_hazard(partner_a, bowtie(MOPTI), contamination_types=[])
        make_incident(partner_a, point(PARIS), casualties=0)
    many = _page_queries(client)

    assert few == many
