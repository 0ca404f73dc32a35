"""Every page of the web application, for the authority and for a partner, in every shipped
language: it answers, says its language (right to left for Arabic) and shows no message left
in English or in the default language."""

import pytest
from django.conf import settings

from tests.core.test_languages import RIGHT_TO_LEFT, _assert_in_language, _untranslated
from tests.pages.records import AUTHORITY_PAGES, every_page, one_of_each
from tests.people import member

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture
def records(partner_user, partner_a):
    return one_of_each(partner=partner_user, organisation=partner_a)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_page_of_the_officer_is_in_the_language(client, officer, records, code):
    client.force_login(officer)
    untranslated = {}
    for name, url in {**every_page(records), **AUTHORITY_PAGES}.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=code)
        html = response.content.decode()
        _assert_in_language(response.status_code, html, code, name)
        if code != "en" and (found := _untranslated(html, code)):
            untranslated[name] = found

    assert untranslated == {}


@pytest.mark.parametrize("code", ["fr", "ar"])
def test_every_page_of_a_partner_is_in_the_language(client, partner_user, records, code):
    client.force_login(partner_user)
    pages = every_page(records)
    # A submitted report is frozen for its reporter (core.policy): no edit page; the data-quality
    # report is the authority's.
    del pages["incidents edit"], pages["data quality"]
    untranslated = {}
    for name, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=code)
        html = response.content.decode()
        _assert_in_language(response.status_code, html, code, name)
        if found := _untranslated(html, code):
            untranslated[name] = found

    assert untranslated == {}
    assert code not in RIGHT_TO_LEFT or 'dir="rtl"' in html


def test_the_login_pages_are_in_every_language(client):
    for code in LANGUAGES:
        response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=code)
        _assert_in_language(response.status_code, response.content.decode(), code, "login")


def test_a_partner_reaches_no_page_of_another_organisations_drafts(client, records, django_user_model, partner_b):
    client.force_login(member(django_user_model, "charlie.partner", partner_b, "partner_data_manager"))

    for name, record in records.items():
        assert client.get(f"/{name}/{record.pk}/").status_code == 404, name
        assert client.get(f"/{name}/{record.pk}/edit/").status_code == 404, name
        assert client.post(f"/{name}/{record.pk}/transition/", {"action": "submit"}).status_code == 404, name
        assert f'href="/{name}/{record.pk}/"' not in client.get(f"/{name}/").content.decode(), name
    for url in ("/queue/", "/", "/map/layers/incidents/?bbox=-12,10,5,25&zoom=6"):
        assert records["incidents"].reference not in client.get(url).content.decode(), url
    for url in AUTHORITY_PAGES.values():
        assert client.get(url).status_code == 403, url
