"""Community reports through their pages: list, new, errors next to fields, record page, edit."""

import pytest

from community.models import CommunityReport
from tests.people import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """Pages answer in the request's language: these tests read them in English."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _form(**overrides):
    data = {
        "organisation": "",
        "report_date": "2024-03-15",
        "date_precision": "day",
        "subject": "item",
        "location_0": "14.4953",
        "location_1": "-4.1962",
        "item_category": "uxo",
        "item_count": "2",
        "description": "Obus vu près du puits",
    }
    data.update(overrides)
    return data


def test_a_partner_reports_through_the_form_and_sees_errors_next_to_fields(client, partner_user, partner_a):
    client.force_login(partner_user)

    bad = client.post("/community-reports/new/", _form(organisation=partner_a.pk, location_0="91"))

    assert bad.status_code == 400
    html = bad.content.decode()
    assert "between -90 and 90" in html
    assert 'id="id_location_error"' in html
    assert not CommunityReport.objects.exists()

    good = client.post("/community-reports/new/", _form(organisation=partner_a.pk))

    report = CommunityReport.objects.get()
    assert good.status_code == 302
    assert good["Location"] == f"/community-reports/{report.pk}/"
    assert report.organisation == partner_a
    assert report.created_by == partner_user
    page = client.get(good["Location"]).content.decode()
    assert report.reference in page
    assert f"/community-reports/{report.pk}/edit/" in page
    assert 'name="action" value="submit"' in page

    listing = client.get("/community-reports/?ordering=-report_date").content.decode()
    assert report.reference in listing


def test_another_partner_cannot_reach_a_draft_through_any_page(
    client, partner_user, partner_a, partner_b, django_user_model
):
    client.force_login(partner_user)
    client.post("/community-reports/new/", _form(organisation=partner_a.pk), follow=True)
    report = CommunityReport.objects.get()
    client.force_login(member(django_user_model, "other.partner", partner_b, "partner_data_manager"))

    assert report.reference not in client.get("/community-reports/").content.decode()
    assert client.get(f"/community-reports/{report.pk}/").status_code == 404
    assert client.get(f"/community-reports/{report.pk}/edit/").status_code == 404
    assert client.post(f"/community-reports/{report.pk}/transition/", {"action": "submit"}).status_code == 404
