"""`/api/v1/imports/` as a partner's script uses it: send a file, read the dry run row by row, confirm;
only the owner follows an import; every refusal a 4xx naming its field; a large file checked and
written by a real Celery worker."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from field import services
from field.models import ImportMapping
from incidents.models import Incident
from tests.geo import GAO, MOPTI

pytestmark = pytest.mark.django_db

CSV = (
    "external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude\n"
    f"A-1,2024-02-03,improvised,improvised_av_mine,stepped_on,{MOPTI[0]},{MOPTI[1]}\n"
    f"A-2,2024-02-04,improvised,improvised_av_mine,stepped_on,{MOPTI[1]},{MOPTI[0]}\n"
    f"A-3,2024-02-05,improvised,PPIED,stepped_on,{GAO[0]},{GAO[1]}\n"
).encode()


@pytest.fixture(autouse=True)
def import_root(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path / "imports"


def _client(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def _send(client, content=CSV, name="incidents.csv", **fields):
    body = {"file": SimpleUploadedFile(name, content), "record_type": "incidents", **fields}
    return client.post("/api/v1/imports/", body, format="multipart")


def test_a_script_sends_reads_the_report_and_confirms(partner_user, partner_a):
    client = _client(partner_user)
    sent = _send(client)
    assert sent.status_code == 201, sent.content
    answer = sent.json()
    assert (answer["status"], answer["rows"], answer["to_create"], answer["rejected"]) == ("checked", 3, 1, 2)
    assert answer["organisation"] == "HI"
    rejected = client.get(answer["rows_url"] + "?action=reject").json()
    assert [(row["number"], sorted(row["errors"])) for row in rejected["results"]] == [
        (3, ["location"]), (4, ["device_category_reported"])]  # fmt: skip
    assert not Incident.objects.filter(organisation=partner_a).exists()

    confirmed = client.post(f"/api/v1/imports/{answer['id']}/confirm/")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "imported"
    made = Incident.objects.get(organisation=partner_a)
    assert (made.external_id, made.status) == ("A-1", "submitted")
    rows = client.get(answer["rows_url"]).json()["results"]
    assert [(row["number"], row["action"], row["record_id"]) for row in rows] == [
        (2, "create", made.pk), (3, "reject", None), (4, "reject", None)]  # fmt: skip
    # Confirmed twice: refused, nothing more written.
    again = client.post(f"/api/v1/imports/{answer['id']}/confirm/")
    assert again.status_code == 400
    assert set(again.json()) == {"status"}
    assert Incident.objects.filter(organisation=partner_a).count() == 1


def test_only_the_owner_follows_an_import(partner_user, django_user_model, partner_a):
    from accounts import roles
    from tests.people import member

    answer = _send(_client(partner_user)).json()
    colleague = _client(member(django_user_model, "awa.hi", partner_a, roles.PARTNER_DATA_MANAGER))
    for url in (f"/api/v1/imports/{answer['id']}/", f"/api/v1/imports/{answer['id']}/rows/"):
        assert colleague.get(url).status_code == 404
    assert colleague.post(f"/api/v1/imports/{answer['id']}/confirm/").status_code == 404
    assert colleague.get("/api/v1/imports/").json()["results"] == []
    assert _client().get("/api/v1/imports/").status_code == 401


@pytest.mark.parametrize(
    ("fields", "name", "field"),
    [
        ({"record_type": "casualties"}, "incidents.csv", "record_type"),
        ({}, "incidents.pdf", "file"),
        ({"organisation": "NOPE"}, "incidents.csv", "organisation"),
        ({"mapping": "no-such-mapping"}, "incidents.csv", "mapping"),
    ],
)
def test_refusals_name_their_field(partner_user, fields, name, field):
    response = _send(_client(partner_user), name=name, **fields)
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body


def test_a_file_too_large_or_missing_is_refused(partner_user, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = _send(_client(partner_user))
    assert response.status_code == 400
    assert response.json()["file"] == ["Send at most 100\xa0bytes."]
    missing = _client(partner_user).post("/api/v1/imports/", {"record_type": "incidents"}, format="multipart")
    assert missing.status_code == 400


def test_another_organisations_records_are_refused(partner_user, partner_b):
    response = _send(_client(partner_user), organisation=partner_b.acronym)
    assert response.status_code == 403


def test_a_mapping_saved_by_name_is_used_by_name(partner_user, partner_a):
    client = _client(partner_user)
    saved = client.post("/api/v1/import-mappings/", {
        "name": "hi-codes", "record_type": "incidents",
        "values": {"device_category_reported": {"PPIED": "improvised_ap_mine",
                                                "improvised_av_mine": "improvised_av_mine"}},
    }, format="json")  # fmt: skip
    assert saved.status_code == 200, saved.content
    assert ImportMapping.objects.get(name="hi-codes").organisation == partner_a
    answer = _send(client, mapping="hi-codes").json()
    assert (answer["to_create"], answer["rejected"]) == (2, 1)
    assert client.get("/api/v1/import-mappings/hi-codes/").json()["record_type"] == "incidents"


@pytest.mark.celery_worker
def test_a_large_file_is_checked_and_written_by_a_worker(celery_worker, django_user_model, settings, tmp_path,
                                                         monkeypatch):  # fmt: skip
    from django.core.management import call_command

    from accounts import roles
    from reference.models import Organisation
    from tests.people import member

    call_command("load_reference_data", verbosity=0)
    settings.IMPORT_ROOT = tmp_path / "imports"
    monkeypatch.setattr(services, "INLINE_BYTES", 0)
    partner = Organisation.objects.get(acronym="HI")
    client = _client(member(django_user_model, "worker.hi", partner, roles.PARTNER_DATA_MANAGER))
    lines = ["external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude"]
    lines += [f"W-{i},2024-02-03,improvised,improvised_av_mine,stepped_on,{MOPTI[0] + i / 1000},{MOPTI[1]}"
              for i in range(300)]  # fmt: skip
    sent = _send(client, content="\n".join(lines).encode())
    assert sent.status_code == 202
    answer = _until(client, sent.json()["url"], "checked")
    assert answer["to_create"] == 300
    confirmed = client.post(f"/api/v1/imports/{answer['id']}/confirm/")
    assert confirmed.status_code == 202
    assert _until(client, answer["url"], "imported")["progress"] == 100
    assert Incident.objects.filter(organisation=partner, status="submitted").count() == 300


def _until(client, url: str, wanted: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(url).json()
        assert answer["status"] != "failed", answer
        if answer["status"] == wanted:
            return answer
        time.sleep(0.2)
    raise AssertionError(f"still {answer['status']} after {timeout} s")
