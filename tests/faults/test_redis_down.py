"""Redis (the Celery broker and the cache) killed while people and scripts work: every request through
the API, the pages and ODK Collect succeeds at once, the work they queue waits in the outbox, and
`/healthz/` names the broker. Redis started again, the relay and a real worker do that work, once.

The Redis here is the test's own (tests/faults/redis_fixtures.py): the shared one is never stopped.
"""

import csv
import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import OutboxMessage
from field import services as field_services
from field.models import FieldSubmission, RecordImport
from field.xlsforms import form_build
from incidents.models import Incident
from reports.models import Export, SummaryState
from tests.faults.redis_fixtures import private_redis  # noqa: F401
from tests.field.odk_helpers import basic, new_instance_id, post_submission, submission_parts
from tests.field.test_odk_collect import _accident
from tests.geo import MOPTI
from tests.workers import start_worker, stop, worker_environment

pytestmark = [pytest.mark.faults, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

# What a request may take with Redis down: it never waits for Redis.
REQUEST_SECONDS = 2.0
IMPORT_ROWS = 40


@pytest.fixture
def redis_for_everything(private_redis, settings, monkeypatch, tmp_path):  # noqa: F811
    """The broker and the cache on the private Redis; the files in the test's folders."""
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url(0))
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": private_redis.url(1), "KEY_PREFIX": "faults"}
    }
    for name in ("EXPORT_ROOT", "IMPORT_ROOT", "FIELD_ATTACHMENT_ROOT"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        setattr(settings, name, folder)
    # Every import is queued for a worker, however small.
    monkeypatch.setattr(field_services, "INLINE_BYTES", 0)
    return private_redis


@pytest.fixture
def partner(redis_for_everything, django_user_model):
    """A partner data manager (HI) with a token; transactional tests start from an emptied database."""
    from accounts import roles
    from reference.models import Organisation
    from tests.people import member

    call_command("load_reference_data", verbosity=0)
    user = member(django_user_model, "awa.hi", Organisation.objects.get(acronym="HI"), roles.PARTNER_DATA_MANAGER)
    return user


class Timed:
    """Each request's status and duration, for the assertions and the report."""

    def __init__(self):
        self.seen: list[tuple[str, int, float]] = []

    def __call__(self, what: str, send):
        started = time.monotonic()
        response = send()
        self.seen.append((what, response.status_code, time.monotonic() - started))
        return response

    def report(self) -> str:
        return "\n".join(f"{what:<32} {status}  {seconds * 1000:6.0f} ms" for what, status, seconds in self.seen)


def _import_file() -> bytes:
    lines = ["external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude"]
    lines += [
        f"R-{n},2024-02-03,improvised,improvised_av_mine,stepped_on,{MOPTI[0] + n / 1000},{MOPTI[1]}"
        for n in range(IMPORT_ROWS)
    ]
    return "\n".join(lines).encode()


def _incident_form(organisation) -> dict:
    return {
        "organisation": organisation.pk, "incident_class": "improvised", "incident_date": "2024-03-15",
        "date_precision": "day", "location_0": "16.27", "location_1": "-0.04",
        "device_category_reported": "improvised_av_mine", "activation": "unknown", "how_activated": "stepped_on",
        "person_activated": "unknown", "anti_handling_device": "unknown", "moved_or_tampered": "unknown",
        "activity_at_time": "herding", "description": "Saisi pendant la panne de Redis",
        "casualties-TOTAL_FORMS": "0", "casualties-INITIAL_FORMS": "0", "casualties-MIN_NUM_FORMS": "0",
        "casualties-MAX_NUM_FORMS": "200",
    }  # fmt: skip


def _wait(what: str, check, log: Path, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


def test_with_redis_killed_every_request_succeeds_and_the_queued_work_runs_once_when_it_is_back(
    redis_for_everything, partner, tmp_path, settings, capsys
):
    redis_server = redis_for_everything
    organisation = partner.profile.organisation
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=partner).key}")
    pages = Client(HTTP_ACCEPT_LANGUAGE="en")
    odk = Client()
    timed = Timed()

    # The process warmed up (URL patterns, serializers, templates) while Redis answers: the figures
    # below are what Redis being down costs, not a first request's imports.
    assert api.get("/api/v1/incidents/").status_code == 200
    assert pages.get("/accounts/login/").status_code == 200
    redis_server.kill()

    # --- Redis down: every door answers at once ------------------------------------------------
    created = timed("API: create an incident", lambda: api.post(
        "/api/v1/incidents/",
        {"incident_class": "improvised", "incident_date": "2024-03-15", "location": {"type": "Point",
         "coordinates": list(MOPTI)}, "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on",
         "external_id": "API-1"},
        format="json",
    ))  # fmt: skip
    assert created.status_code == 201, created.content
    exported = timed("API: request an export", lambda: api.post(
        "/api/v1/exports/", {"resource": "incidents", "format": "csv"}, format="json"
    ))  # fmt: skip
    assert exported.status_code == 202, exported.content
    sent = timed("API: send an import", lambda: api.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("r.csv", _import_file()), "record_type": "incidents"},
        format="multipart",
    ))  # fmt: skip
    assert sent.status_code == 202, sent.content
    assert sent.json()["status"] == "checking"
    listed = timed("API: list incidents", lambda: api.get("/api/v1/incidents/"))
    assert listed.status_code == 200
    assert [row["external_id"] for row in listed.json()["results"]] == ["API-1"]
    followed = timed("API: read the export", lambda: api.get(exported.json()["url"]))
    assert (followed.status_code, followed.json()["status"]) == (200, "queued")
    checking = timed("API: read the import", lambda: api.get(sent.json()["url"]))
    assert (checking.status_code, checking.json()["status"]) == (200, "checking")

    login = timed("page: log in", lambda: pages.post(
        "/accounts/login/", {"username": "awa.hi", "password": "pw-awa.hi-42"}
    ))  # fmt: skip
    assert login.status_code == 302, login.content
    form = timed("page: new incident form", lambda: pages.post("/incidents/new/", _incident_form(organisation)))
    assert form.status_code == 302, form.content
    assert timed("page: dashboard", lambda: pages.get("/")).status_code == 200
    assert timed("page: incident list", lambda: pages.get("/incidents/")).status_code == 200

    xml = _accident(form_build("accident_report").version, new_instance_id())
    submitted = timed("ODK: submission", lambda: post_submission(
        odk, basic("awa.hi", "pw-awa.hi-42"), submission_parts(xml, "1700000000000.jpg")
    ))  # fmt: skip
    assert submitted.status_code == 201, submitted.content

    with capsys.disabled():
        print(f"\nRequests with Redis killed:\n{timed.report()}")
    assert all(seconds < REQUEST_SECONDS for _what, _status, seconds in timed.seen), timed.report()
    assert Incident.all_objects.count() == 3
    assert FieldSubmission.objects.count() == 1

    # Nothing was sent: the work waits in PostgreSQL.
    pending = list(OutboxMessage.objects.filter(sent_at__isnull=True).order_by("created_at", "id"))
    assert not OutboxMessage.objects.filter(sent_at__isnull=False).exists()
    tasks = [message.task for message in pending]
    assert tasks.count("reports.export_run") == 1
    assert tasks.count("field.import_check") == 1
    # The API's incident, the form's and the submission's: each a refresh of the incidents' summaries.
    assert tasks.count("reports.summaries_refresh") == 3
    assert set(tasks) == {"reports.export_run", "field.import_check", "reports.summaries_refresh"}
    assert all(message.attempts == 1 and "Connection refused" in message.last_error for message in pending)

    started = time.monotonic()
    health = Client().get("/healthz/")
    health_seconds = time.monotonic() - started
    assert health.status_code == 503
    body = health.json()
    assert body["ok"] is False
    assert body["down"] == ["broker", "worker"]
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert "Connection refused" in body["broker"]["error"]
    assert body["outbox"]["pending"] == len(pending)
    assert 0 < body["outbox"]["oldest_pending_seconds"] < 60
    assert health_seconds < REQUEST_SECONDS, health_seconds
    with capsys.disabled():
        print(f"/healthz/ with Redis killed: {health.status_code} in {health_seconds * 1000:.0f} ms")

    # --- Redis back on the same port: the relay sends, a worker runs each task once --------------
    redis_server.start()
    call_command("relay_outbox")
    assert capsys.readouterr().out == f"{len(pending)} sent, 0 pending\n"
    assert redis_server.client().llen("celery") == len(pending)
    # A second relay (beat's next minute, a worker starting) finds nothing left to send.
    call_command("relay_outbox")
    assert capsys.readouterr().out == "0 sent, 0 pending\n"

    log = tmp_path / "worker.log"
    environment = worker_environment(TEST_CELERY_BROKER_URL=redis_server.url(0))
    environment.update(
        TEST_CACHE_URL=redis_server.url(1),
        EXPORT_ROOT=str(settings.EXPORT_ROOT),
        IMPORT_ROOT=str(settings.IMPORT_ROOT),
        FIELD_ATTACHMENT_ROOT=str(settings.FIELD_ATTACHMENT_ROOT),
    )
    worker = start_worker("faults", log, environment)
    try:
        export_id, import_id = exported.json()["id"], sent.json()["id"]
        _wait("the export written", lambda: Export.objects.get(pk=export_id).status in ("done", "failed"), log)
        _wait("the import checked", lambda: RecordImport.objects.get(pk=import_id).status != "checking", log)
        _wait("every task run", lambda: log.read_text().count(" succeeded in ") == len(pending), log)
    finally:
        stop(worker)
    text = log.read_text()

    export = Export.objects.get(pk=export_id)
    assert (export.status, export.progress, export.error) == ("done", 100, "")
    rows = list(csv.DictReader(io.StringIO((Path(settings.EXPORT_ROOT) / export.file_path).read_text())))
    # Every incident the partner reads, each once: the file is whole.
    assert sorted(int(row["id"]) for row in rows) == sorted(Incident.objects.values_list("pk", flat=True))
    assert export.rows == len(rows) == 3
    assert [path.name for path in Path(settings.EXPORT_ROOT).iterdir()] == [export.file_path]

    checked = RecordImport.objects.get(pk=import_id)
    assert (checked.status, checked.rows, checked.to_create, checked.rejected) == (
        "checked", IMPORT_ROWS, IMPORT_ROWS, 0,
    )  # fmt: skip
    assert checked.lines.count() == IMPORT_ROWS

    # Every summary the writes asked for, rebuilt after them.
    asked = {
        name for message in pending if message.task == "reports.summaries_refresh" for name in message.kwargs["names"]
    }
    assert "incidents" in asked
    refreshed = dict(SummaryState.objects.filter(name__in=asked).values_list("name", "refreshed_at"))
    assert set(refreshed) == asked
    assert all(moment > pending[-1].created_at for moment in refreshed.values()), refreshed

    # Each task received once and run once.
    for message in pending:
        assert text.count(f"Task {message.task}[") == tasks.count(message.task) * 2, text
    assert text.count("reports.export_run[") == 2
    assert text.count("field.import_check[") == 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    connection.close()
