"""The reconciliation page: probable duplicate incidents side by side, merged through the page."""

import datetime

import pytest
from django.conf import settings
from django.test.html import Element, parse_html

from core.models import RecordStatus
from incidents.models import Incident, IncidentSource
from incidents.services import incident_create
from tests.geo import GAO, MOPTI, point

pytestmark = pytest.mark.django_db


def _incident(user, organisation, lon_lat=MOPTI, day=datetime.date(2024, 3, 15), status=RecordStatus.APPROVED):
    incident = incident_create(
        user=user,
        organisation=organisation,
        data={
            "incident_class": "improvised",
            "incident_date": day,
            "location": point(lon_lat),
            "device_category_reported": "improvised_ap_mine",
            "how_activated": "stepped_on",
        },
        casualties=[{"outcome": "killed", "sex": "male", "age": 40, "civilian_status": "civilian"}],
    )
    # The approval workflow has its own tests; here only the state matters.
    Incident.objects.filter(pk=incident.pk).update(status=status)
    incident.refresh_from_db()
    return incident


def _pairs(html: str) -> list[str]:
    """The text of each pair's section."""

    def walk(element):
        for child in element.children:
            if isinstance(child, Element):
                yield child
                yield from walk(child)

    def text(element):
        return " ".join(c if isinstance(c, str) else text(c) for c in element.children)

    return [
        text(section)
        for section in walk(parse_html(html))
        if section.name == "section" and "pair" in (dict(section.attributes).get("class") or "").split()
    ]


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_two_approved_incidents_close_in_time_and_place_merge_through_the_page(
    english, officer, partner_user, partner_a, partner_b
):
    first = _incident(partner_user, partner_a)
    # About 100 m away, the next day, reported by another organisation.
    second = _incident(officer, partner_b, (MOPTI[0] + 0.001, MOPTI[1]), datetime.date(2024, 3, 16))
    far = _incident(officer, partner_b, GAO)
    english.force_login(officer)

    page = english.get("/reconciliation/")

    assert page.status_code == 200
    pairs = _pairs(page.content.decode())
    assert len(pairs) == 1
    assert first.reference in pairs[0]
    assert second.reference in pairs[0]
    assert far.reference not in pairs[0]
    assert "HI" in pairs[0]
    assert "DRC" in pairs[0]
    html = page.content.decode()
    assert 'href="/reconciliation/"' in html
    chosen = english.get("/reconciliation/", {"incident": second.reference}).content.decode()
    assert len(_pairs(chosen)) == 1

    merged = english.post(
        "/reconciliation/incidents/merge/",
        {
            "first": first.pk,
            "second": second.pk,
            "keep": first.pk,
            "reason": "Same accident",
            "next": "/reconciliation/",
        },
    )

    assert merged.status_code == 302
    assert merged["Location"] == "/reconciliation/"
    assert not Incident.objects.filter(pk=second.pk).exists()
    gone = Incident.all_objects.get(pk=second.pk)
    assert gone.deleted_at is not None
    assert "Same accident" in gone.status_reason
    # The same person reported by both is counted once; the other report is now a source.
    assert first.casualties.count() == 1
    assert list(IncidentSource.objects.filter(incident=first).values_list("source_reference", flat=True)) == [
        second.reference
    ]
    after = english.get("/reconciliation/").content.decode()
    assert f"{second.reference} was merged into {first.reference}." in after
    assert _pairs(after) == []


def test_a_merge_the_rules_refuse_is_a_message_not_an_error(english, officer, partner_user, partner_a, partner_b):
    approved = _incident(partner_user, partner_a)
    submitted = _incident(officer, partner_b, day=datetime.date(2024, 3, 16), status=RecordStatus.SUBMITTED)
    english.force_login(officer)
    pairs = _pairs(english.get("/reconciliation/").content.decode())
    assert len(pairs) == 1
    # The approved one is proposed as the one to keep.
    page = english.get("/reconciliation/").content.decode()
    assert f'name="keep" value="{approved.pk}" checked' in page

    response = english.post(
        "/reconciliation/incidents/merge/",
        {"first": submitted.pk, "second": approved.pk, "keep": submitted.pk},
        follow=True,
    )

    assert response.status_code == 200
    assert "Keep the approved record" in response.content.decode()
    assert Incident.objects.filter(pk__in=[approved.pk, submitted.pk]).count() == 2
    unknown = english.get("/reconciliation/", {"incident": "99999999999999999999"})
    assert unknown.status_code == 200
    assert "No incident with this reference is visible to you." in unknown.content.decode()
    nonsense = english.post("/reconciliation/incidents/merge/", {"first": "x", "second": approved.pk}, follow=True)
    assert nonsense.status_code == 200
    assert "Choose the incident to keep." in nonsense.content.decode()


def test_the_page_checks_a_bounded_number_of_incidents(english, officer, partner_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.views import RECENT_INCIDENTS

    for i in range(RECENT_INCIDENTS + 3):
        _incident(officer, partner_b, (MOPTI[0], MOPTI[1] + i * 0.1))
    english.force_login(officer)
    with CaptureQueriesContext(connection) as queries:
        page = english.get("/reconciliation/").content.decode()
    assert f"{RECENT_INCIDENTS} incidents checked" in page
    # A few queries per incident checked, whatever the size of the database.
    assert len(queries) <= 12 + 3 * RECENT_INCIDENTS


def test_a_partner_may_not_reconcile(client, partner_user, partner_a):
    incident = _incident(partner_user, partner_a)
    other = _incident(partner_user, partner_a, day=datetime.date(2024, 3, 16))
    client.force_login(partner_user)

    assert client.get("/reconciliation/").status_code == 403
    merge = client.post(
        "/reconciliation/incidents/merge/", {"first": incident.pk, "second": other.pk, "keep": other.pk}
    )
    assert merge.status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert 'href="/reconciliation/"' not in client.get("/incidents/").content.decode()
