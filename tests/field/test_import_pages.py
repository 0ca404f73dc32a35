"""The import pages: in Debian's Chromium, a partner's data manager sends a file through the real
form, reads the report in French, confirms; with the test client, the form's refusals and another
user's import hidden."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from field.models import RecordImport
from incidents.models import Incident
from tests.geo import GAO, MOPTI

PASSWORD = "Mopti-Import-2024!"
CSV = (
    "external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude\n"
    f"P-1,2024-02-03,improvised,improvised_av_mine,stepped_on,{MOPTI[0]},{MOPTI[1]}\n"
    f"P-2,03/02/2024,improvised,improvised_av_mine,stepped_on,{GAO[0]},{GAO[1]}\n"
    f"P-3,2024-02-05,improvised,improvised_av_mine,stepped_on,{GAO[1]},{GAO[0]}\n"
)


@pytest.fixture(autouse=True)
def import_root(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path / "imports"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_data_manager_checks_reads_and_confirms_in_the_browser(page, live_server, django_user_model, tmp_path,
                                                                 screenshot):  # fmt: skip
    from django.core.management import call_command

    from accounts import roles
    from reference.models import Organisation
    from tests.people import member

    call_command("load_reference_data", verbosity=0)
    moussa = member(django_user_model, "moussa.import", Organisation.objects.get(acronym="HI"),
                    roles.PARTNER_DATA_MANAGER)  # fmt: skip
    moussa.set_password(PASSWORD)
    moussa.save()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/?next=/imports/")
    page.fill("input[name=username]", "moussa.import")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(f"{live_server.url}/imports/")
    assert (
        page.locator("nav.site-nav").get_by_text("Imports").count()
        + page.locator("nav.site-nav").get_by_text("Importations").count()
        == 1
    )

    source = tmp_path / "accidents.csv"
    source.write_text(CSV)
    page.select_option("select[name=record_type]", "incidents")
    page.set_input_files("input[name=file]", str(source))
    page.click("main form[enctype] [type=submit]")
    page.wait_for_url(f"{live_server.url}/imports/*/")
    counts = page.locator(".import-counts").inner_text()
    assert "3" in counts
    table = page.locator(".import-rows").inner_text()
    assert "P-2" in table
    assert "incident_date" in table
    assert "P-3" in table
    assert not Incident.objects.exists()
    screenshot("import-report-fr")

    page.click("form[action$='/confirm/'] [type=submit]")
    page.wait_for_selector("[data-status=imported]")
    made = Incident.objects.get()
    assert made.external_id == "P-1"
    # The written row links to its record's page.
    assert page.locator(".import-rows a").get_attribute("href") == f"/incidents/{made.pk}/"
    screenshot("import-done-fr")

    from axe_playwright_python.sync_playwright import Axe

    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert errors == []


@pytest.mark.django_db
def test_the_form_says_what_is_wrong_and_another_users_import_is_hidden(client, partner_user, django_user_model,
                                                                          partner_a):  # fmt: skip
    from accounts import roles
    from tests.people import member

    client.force_login(partner_user)
    response = client.post("/imports/", {"record_type": "incidents", "file": SimpleUploadedFile("a.pdf", b"x")},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert "Send a CSV, XLSX, GeoJSON" in response.content.decode()
    assert not RecordImport.objects.exists()

    sent = client.post("/imports/", {"record_type": "incidents", "file": SimpleUploadedFile("a.csv", CSV.encode())})
    assert sent.status_code == 302
    record_import = RecordImport.objects.get()
    assert client.get(f"/imports/{record_import.pk}/?action=reject").status_code == 200
    other = member(django_user_model, "ines.hi", partner_a, roles.PARTNER_DATA_MANAGER)
    client.force_login(other)
    assert client.get(f"/imports/{record_import.pk}/").status_code == 404
    assert client.post(f"/imports/{record_import.pk}/confirm/").status_code == 404
    assert not Incident.objects.exists()
