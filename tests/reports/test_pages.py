"""The pages of exports and treaty reports, through the Django test client: "Your exports", the
Export control of a record list, and the treaty report form, for an officer, a partner and a role
that reads no statistics."""

import datetime
import html
import json
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from accounts import roles
from reports import services
from reports.models import Export
from tests.people import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def field_user(django_user_model, partner_a):
    """A partner's field user: submits records, reads no statistics, so generates no report."""
    return member(django_user_model, "fanta.field", partner_a, roles.PARTNER_FIELD_USER)


@pytest.fixture
def bob(django_user_model, partner_a):
    """Another data manager of the same partner: his exports are his own."""
    return member(django_user_model, "bob.partner", partner_a, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def _export_control(page: str) -> dict:
    """What the list page's Export control posts, read from the page."""
    form = re.search(r'<form method="post" action="/exports/new/".*?</form>', page, re.DOTALL)
    assert form, "no Export control"
    formats = re.findall(r'<option value="(\w+)">', form.group(0))
    return {"list": _hidden(form.group(0), "list"), "query": _hidden(form.group(0), "query"), "formats": formats}


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _row_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="export-(\d+)"', page)]


# --- Who opens which page ------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    for response in (client.get("/exports/"), client.get("/reports/"), client.post("/exports/new/", {})):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert not Export.objects.exists()


@pytest.mark.parametrize(
    ("persona", "reports_status", "in_menu"),
    [("officer", 200, True), ("partner_user", 200, True), ("field_user", 403, False)],
)
def test_each_page_for_an_officer_a_partner_and_a_role_without_statistics(
    english, request, persona, reports_status, in_menu
):
    user = request.getfixturevalue(persona)
    english.force_login(user)

    exports = english.get("/exports/")
    assert exports.status_code == 200
    page = exports.content.decode()
    assert "<h1>Your exports</h1>" in page
    assert 'href="/exports/" aria-current="page">Exports</a>' in page
    assert ('href="/reports/">Treaty reports</a>' in page) is in_menu
    assert english.get("/reports/").status_code == reports_status
    assert english.post("/reports/", {"report": "article7", "year": 2023, "format": "xlsx"}).status_code == (
        302 if reports_status == 200 else 403
    )
    assert Export.objects.filter(owner=user).count() == (1 if in_menu else 0)


def test_the_reports_page_refuses_a_role_without_statistics_with_the_reason(english, field_user):
    english.force_login(field_user)

    response = english.get("/reports/")

    assert response.status_code == 403
    assert "Your role does not read statistics: it does not generate treaty reports." in response.content.decode()


# --- The Export control of a list ----------------------------------------------------------------


def test_an_export_asked_from_a_list_page_keeps_the_lists_resource_format_and_filters(english, officer):
    english.force_login(officer)
    # As the filter form sends them: empty fields, two statuses; then a sorted second page.
    listed = english.get(
        "/incidents/?status=submitted&status=approved&organisation=&admin_area=ML07&date_after=2024-01-01"
        "&date_before=&ordering=-incident_date&page=2"
    )
    assert listed.status_code == 200
    control = _export_control(listed.content.decode())
    assert control["list"] == "/incidents/"
    assert control["formats"] == ["csv", "xlsx", "geojson", "gpkg"]

    response = english.post("/exports/new/", {"format": "csv", "list": control["list"], "query": control["query"]})

    assert response.status_code == 302
    assert response["Location"] == "/exports/"
    export = Export.objects.get()
    assert (export.owner, export.resource, export.format, export.status) == (officer, "incidents", "csv", "queued")
    assert export.filters == {"status": ["submitted", "approved"], "admin_area": "ML07", "date_after": "2024-01-01"}
    followed = english.get(response["Location"])
    assert _messages(followed) == [
        "Your export is being written: Incidents as CSV. Its file can be downloaded here once done."
    ]
    assert _row_ids(followed.content.decode()) == [export.pk]


def test_a_list_of_records_without_geometry_offers_no_geographic_format(english, officer):
    english.force_login(officer)

    control = _export_control(english.get("/survivors/").content.decode())

    assert control == {"list": "/survivors/", "query": "", "formats": ["csv", "xlsx"]}
    english.post("/exports/new/", {"format": "xlsx", "list": "/survivors/", "query": ""})
    assert Export.objects.get().resource == "survivors"


@pytest.mark.parametrize(
    ("posted", "reason", "back"),
    [
        ({"format": "pdf", "list": "/incidents/", "query": "admin_area=ML07"}, "Choose csv, xlsx, geojson or gpkg.",
         "/incidents/?admin_area=ML07"),
        ({"format": "", "list": "/incidents/", "query": ""}, "Choose csv, xlsx, geojson or gpkg.", "/incidents/"),
        ({"format": "geojson", "list": "/survivors/", "query": ""},
         "These records have no geometry: choose csv or xlsx.", "/survivors/"),
        ({"format": "csv", "list": "/incidents/", "query": "date_after=yesterday"}, "Enter a valid date.",
         "/incidents/?date_after=yesterday"),
        ({"format": "csv", "list": "/queue/", "query": ""}, "This page is not a list of records that can be exported.",
         "/exports/"),
        ({"format": "csv", "list": "https://elsewhere.example/nowhere/", "query": ""},
         "This page is not a list of records that can be exported.", "/exports/"),
    ],
)  # fmt: skip
def test_an_export_that_cannot_be_asked_says_why_and_writes_nothing(english, officer, posted, reason, back):
    english.force_login(officer)

    response = english.post("/exports/new/", posted)

    assert response.status_code == 302
    assert response["Location"] == back
    assert not Export.objects.exists()
    followed = english.get(back)
    assert followed.status_code == 200
    assert _messages(followed) == [f"Nothing was exported: {reason}"]


def test_a_wrong_filter_is_marked_on_the_list_the_export_came_back_to(english, officer):
    english.force_login(officer)

    response = english.post("/exports/new/", {"format": "csv", "list": "/incidents/", "query": "date_after=31/31/2024"},
                            follow=True)  # fmt: skip

    page = response.content.decode()
    assert response.redirect_chain == [("/incidents/?date_after=31%2F31%2F2024", 302)]
    assert "Correct the filters marked below." in page
    assert 'id="id_date_after_error"' in page


def test_asking_an_export_needs_the_pages_csrf_token(officer):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)

    refused = client.post("/exports/new/", {"format": "csv", "list": "/incidents/", "query": ""})

    assert refused.status_code == 403
    assert not Export.objects.exists()
    page = client.get("/incidents/").content.decode()
    token = re.search(r'action="/exports/new/".*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.DOTALL).group(1)
    accepted = client.post(
        "/exports/new/", {"format": "csv", "list": "/incidents/", "query": "", "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 302
    assert Export.objects.count() == 1


def test_a_role_that_does_not_read_a_record_type_cannot_export_it(english, django_user_model, authority):
    viewer = member(django_user_model, "ali.viewer", authority, roles.VIEWER)
    english.force_login(viewer)

    response = english.post("/exports/new/", {"format": "csv", "list": "/incidents/", "query": ""})

    assert response.status_code == 403
    assert not Export.objects.exists()


# --- "Your exports" ------------------------------------------------------------------------------


def test_each_user_sees_only_their_own_exports(english, officer, partner_user, bob):
    mine = services.export_request(user=partner_user, resource="incidents", format="csv", filters={})
    bobs = services.export_request(user=bob, resource="incidents", format="xlsx", filters={})
    officers = services.report_request(user=officer, kind="monitor", year=2023, format="pdf")

    seen = {}
    for user in (partner_user, bob, officer):
        english.force_login(user)
        seen[user.username] = _row_ids(english.get("/exports/").content.decode())

    assert seen == {"moussa.partner": [mine.pk], "bob.partner": [bobs.pk], "awa.officer": [officers.pk]}


def test_each_export_says_what_it_holds_its_state_and_its_file(english, partner_user, settings):
    english.force_login(partner_user)
    ask = services.export_request
    queued = ask(user=partner_user, resource="incidents", format="csv", filters={"admin_area": "ML07"})
    running = ask(user=partner_user, resource="hazard-areas", format="gpkg", filters={})
    done = ask(user=partner_user, resource="survivors", format="xlsx", filters={})
    expired = ask(user=partner_user, resource="incidents", format="geojson", filters={})
    failed = ask(user=partner_user, resource="incidents", format="csv", filters={})
    report = services.report_request(user=partner_user, kind="article7", year=2023, format="docx")
    Export.objects.filter(pk=running.pk).update(status="running", progress=40, rows=1200)
    Export.objects.filter(pk=done.pk).update(status="done", progress=100, rows=3, file_path=f"survivors-{done.pk}.xlsx")
    Export.objects.filter(pk=expired.pk).update(status="done", progress=100, rows=3, file_path="")
    Export.objects.filter(pk=failed.pk).update(status="failed", error="The file could not be written on the server.")
    Export.objects.filter(pk=report.pk).update(
        status="done", progress=100, rows=9, file_path=f"article7-{report.pk}.docx",
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )  # fmt: skip

    page = english.get("/exports/").content.decode()

    rows = dict(re.findall(r'<tr id="export-(\d+)"(.*?)</tr>', page, re.DOTALL))
    # Newest first.
    assert _row_ids(page) == [report.pk, failed.pk, expired.pk, done.pk, running.pk, queued.pk]
    queued_row = rows[str(queued.pk)]
    assert 'href="/incidents/?admin_area=ML07">Incidents</a>' in queued_row
    assert '<code class="filters-used">admin_area=ML07</code>' in queued_row
    assert f'data-export-url="/api/v1/exports/{queued.pk}/"' in queued_row
    assert '<progress max="100" value="0"' in queued_row
    assert ">Queued</span>" in queued_row
    running_row = rows[str(running.pk)]
    assert ">Running</span>" in running_row
    assert '<progress max="100" value="40"' in running_row
    assert ">40%</span>" in running_row
    assert ">1,200</td>" in running_row
    assert ">GeoPackage</td>" in running_row
    done_row = rows[str(done.pk)]
    assert "data-export-url" not in done_row
    assert "<progress" not in done_row
    assert f'<a href="/api/v1/exports/{done.pk}/download/" download>Download' in done_row
    assert ">expired</span>" in rows[str(expired.pk)]
    assert "/download/" not in rows[str(expired.pk)]
    assert "The file could not be written on the server." in rows[str(failed.pk)]
    assert ">Failed</span>" in rows[str(failed.pk)]
    report_row = rows[str(report.pk)]
    assert "APMBC Article 7 report, 2023" in report_row
    assert ">DOCX</td>" in report_row
    assert ">expired</span>" in report_row
    # Unfinished exports: the page follows them with its script, or with the Refresh link.
    assert 'id="exports-refresh"' in page
    assert 'src="/static/js/exports.js"' in page
    assert '<script id="export-labels" type="application/json">' in page


def test_a_page_of_finished_exports_loads_no_script(english, partner_user):
    english.force_login(partner_user)
    done = services.export_request(user=partner_user, resource="incidents", format="csv", filters={})
    Export.objects.filter(pk=done.pk).update(status="failed", error="No.")

    page = english.get("/exports/").content.decode()

    assert _row_ids(page) == [done.pk]
    assert "exports.js" not in page
    assert 'id="exports-refresh"' not in page


def test_exports_are_paged_25_at_a_time_newest_first_in_a_bounded_number_of_queries(english, partner_user):
    english.force_login(partner_user)
    expires = timezone.now() + datetime.timedelta(hours=24)

    def add(count: int) -> None:
        Export.objects.bulk_create(
            Export(owner=partner_user, resource="incidents", format="csv", expires_at=expires) for _ in range(count)
        )

    add(3)
    with CaptureQueriesContext(connection) as few:
        english.get("/exports/")
    add(23)
    with CaptureQueriesContext(connection) as many:
        first = english.get("/exports/").content.decode()

    assert len(many) == len(few)
    newest = list(Export.objects.filter(owner=partner_user).values_list("pk", flat=True))
    assert _row_ids(first) == newest[:25]
    assert "Page 1 of 2" in first
    assert _row_ids(english.get("/exports/?page=2").content.decode()) == newest[25:]


def test_the_exports_page_speaks_the_users_language(client, partner_user):
    client.force_login(partner_user)
    services.export_request(user=partner_user, resource="incidents", format="csv", filters={})

    page = client.get("/exports/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    with translation.override("fr"):
        queued = pgettext("export status", "Queued")
        percent = gettext("%(value)s%%") % {"value": 0}
        pattern = gettext("%(value)s%%") % {"value": "{value}"}
    assert '<html lang="fr">' in page
    assert '<th scope="col">Statut</th>' in page
    # The status and the progress as the French catalogue writes them, here and in the script's labels.
    assert f">{queued}</span>" in page
    # The labels the script shows, as JSON (non-ASCII escaped).
    assert f'"queued": {json.dumps(queued)}' in page
    assert f">{percent}</span>" in page
    assert f'"percent": {json.dumps(pattern)}' in page


# --- The treaty report form ----------------------------------------------------------------------


def test_the_report_form_offers_every_report_for_last_year(english, officer):
    english.force_login(officer)

    page = english.get("/reports/").content.decode()

    assert re.findall(r'<input type="radio" name="report" value="(\w+)"', page) == [
        "article7", "article5", "monitor", "ccm"
    ]  # fmt: skip
    assert "forms C, F, G, I and J" in page
    assert '<legend>Treaty report <span class="required"' in page
    # The Article 7 report, the one due every year, is chosen unless the officer picks another.
    assert re.findall(r'value="(\w+)" id="id_report_\d" aria-describedby="[\w-]+" checked', page) == ["article7"]
    assert 'aria-describedby="report-article5-help"' in page
    assert f'name="year" value="{timezone.localdate().year - 1}"' in page
    assert re.findall(r'<option value="(\w+)"', page.split('name="format"')[1]) == ["xlsx", "docx", "pdf"]
    # The officer edits the clearance capacity the Article 5 annex needs.
    assert 'href="/admin/reports/clearancecapacity/">Clearance capacities</a>' in page


def test_only_who_may_edit_the_capacity_is_led_to_it(english, partner_user):
    english.force_login(partner_user)

    page = english.get("/reports/").content.decode()

    assert "clearance capacity (teams, and the area a team releases in a year)" in page
    assert "/admin/reports/clearancecapacity/" not in page


@pytest.mark.parametrize(
    ("year", "message"),
    [("1980", "Give a year from 1990 to {last}."), ("2990", "Give a year from 1990 to {last}."),
     ("last year", "Enter a whole number.")],
)  # fmt: skip
def test_a_wrong_year_is_marked_on_its_field(english, officer, year, message):
    english.force_login(officer)

    response = english.post("/reports/", {"report": "article7", "year": year, "format": "xlsx"})

    assert response.status_code == 400
    assert not Export.objects.exists()
    assert response.context["form"].errors == {"year": [message.format(last=timezone.localdate().year)]}
    page = response.content.decode()
    assert 'id="id_year_error"' in page
    assert "No report was asked for. Correct what is marked below." in page


def test_a_report_without_a_kind_or_format_is_marked_on_its_fields(english, officer):
    english.force_login(officer)

    response = english.post("/reports/", {"year": "2023", "format": "odt"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"report", "format"}
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_report_asked_on_the_form_is_followed_on_the_exports_page(english, officer):
    english.force_login(officer)

    response = english.post("/reports/", {"report": "monitor", "year": "2023", "format": "pdf"}, follow=True)

    export = Export.objects.get()
    assert (export.owner, export.resource, export.format, export.filters) == (officer, "monitor", "pdf", {"year": 2023})
    assert response.redirect_chain == [("/exports/", 302)]
    assert _messages(response) == [
        "Your report is being written: Landmine Monitor casualty table, 2023. "
        "Its file can be downloaded here once done."
    ]
    assert _row_ids(response.content.decode()) == [export.pk]
