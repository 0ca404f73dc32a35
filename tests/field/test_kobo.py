"""KoboToolbox pulls (field.kobo) against a small KoboToolbox of our own: a real HTTP server on
127.0.0.1 serving the asset's data in pages with `next` links, as API v2 does, and refusing any
request without the source's token. Rows become submitted records; pulling again duplicates nothing."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection

from field.kobo import KoboPullError, kobo_source_pull
from field.models import FieldSubmission, KoboSource
from incidents.models import Incident
from reference.models import Locality, Organisation
from tests.field.odk_helpers import PHOTO, point
from tests.geo import GAO, MOPTI
from tests.people import member

TOKEN = "kobo-token-5f2a"
ASSET = "aHJ7kQ9vLx3mPq"


def _row(number: int, *, casualties=(), **answers) -> dict:
    """A Kobo API v2 row of the accident report: keys carry their group path, a repeat is a list of
    dicts whose keys carry the repeat's path, Kobo's own keys begin with "_"."""
    uuid = f"6f1b2c3d-0000-4000-8000-{number:012d}"
    return {
        "_id": 1000 + number,
        "_uuid": uuid,
        "formhub/uuid": "0a1b2c",
        "__version__": "vKoboAbc",
        "start": "2024-03-15T08:00:00.000+00:00",
        "incident_date": "2024-03-15",
        "date_precision": "day",
        "incident_class": "improvised",
        "location": point(*MOPTI),
        "device_category_reported": "improvised_ap_mine",
        "how_activated": "stepped_on",
        "source/source_type": "community",
        "source/source_reliability": "probable",
        "casualties": [
            {
                "casualties/casualty_outcome": outcome,
                "casualties/casualty_sex": sex,
                "casualties/casualty_age": str(age),
                "casualties/casualty_civilian_status": "civilian",
            }
            for outcome, sex, age in casualties
        ],
        "meta/instanceID": f"uuid:{uuid}",
        "_submission_time": "2024-03-15T09:00:00",
        "_attachments": [],
        **answers,
    }


class FakeKobo:
    """The asset's data in pages of `page_size` rows, and its attachments, on a real socket."""

    def __init__(self, rows: list[dict], *, page_size: int = 2):
        self.rows, self.page_size = rows, page_size
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []
        kobo = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                kobo.requests.append((url.path, query, self.headers.get("Authorization", "")))
                if self.headers.get("Authorization") != f"Token {TOKEN}":
                    return self._send(401, {"detail": "Invalid token."})
                if url.path == f"/api/v2/assets/{ASSET}/data/":
                    return self._data(query)
                if url.path == "/media/photo.jpg":
                    return self._send(200, PHOTO, "image/jpeg")
                return self._send(404, {"detail": "Not found."})

            def _data(self, query):
                if query.get("format") != ["json"] or int(query["limit"][0]) > 1000:
                    return self._send(400, {"detail": "format=json and limit <= 1000"})
                start = int(query.get("start", ["0"])[0])
                end = start + min(kobo.page_size, int(query["limit"][0]))
                page = kobo.rows[start:end]
                following = None
                if end < len(kobo.rows):
                    # Kobo's `next` keeps the request's parameters and moves `start`.
                    rest = urlencode({k: v[0] for k, v in query.items() if k != "start"})
                    following = f"{kobo.url}/api/v2/assets/{ASSET}/data/?{rest}&start={end}"
                return self._send(200, {"count": len(kobo.rows), "next": following, "previous": None, "results": page})

            def _send(self, status, body, content_type="application/json"):
                content = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def data_requests(self) -> list[tuple[dict[str, list[str]], str]]:
        return [(query, auth) for path, query, auth in self.requests if path.endswith("/data/")]


def _rows(kobo_url: str) -> list[dict]:
    mopti = Locality.objects.get(name="Mopti")
    return [
        _row(1, casualties=[("killed", "male", 34), ("injured", "female", 9)], locality=str(mopti.pk),
             _attachments=[{"download_url": f"{kobo_url}/media/photo.jpg", "mimetype": "image/jpeg",
                            "filename": "hi_field/attachments/0a1b2c/6f1b/1700000000000.jpg"}]),
        _row(2, casualties=[("injured", "male", 51)], location=point(*GAO), how_activated="vehicle"),
        _row(3, **{"source/source_type": "", "source/source_reliability": ""}),
        # A rule broken: kept with its error, no record.
        _row(4, casualties=[("killed", "male", 130)]),
        _row(5, incident_class="mine", device_category_reported="ap_mine", **{"group_more/description": "PMN"}),
    ]  # fmt: skip


def _source(user, kobo_url: str, *, token: str = TOKEN) -> KoboSource:
    return KoboSource.objects.create(
        name="HI Mopti", server_url=kobo_url, asset_uid=ASSET, api_token=token, form_id="accident_report", user=user
    )


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.FIELD_ATTACHMENT_ROOT = tmp_path / "field"
    return settings.FIELD_ATTACHMENT_ROOT


@pytest.fixture
def field_user(django_user_model):
    return member(django_user_model, "fanta.field", Organisation.objects.get(acronym="HI"), "partner_field_user")


@pytest.mark.django_db
def test_kobo_pages_become_submitted_incidents_and_a_second_pull_duplicates_nothing(field_user, attachment_root):
    with FakeKobo([]) as kobo:
        kobo.rows = _rows(kobo.url)
        source = _source(field_user, kobo.url)
        result = kobo_source_pull(source=source)
        assert (result.pages, result.created, result.rejected, result.duplicates, result.skipped) == (3, 4, 1, 0, 0)
        requests = kobo.data_requests()
        assert len(requests) == 3
        assert all(auth == f"Token {TOKEN}" for _q, auth in requests)
        assert [q["limit"] for q, _a in requests] == [["1000"]] * 3
        assert [q.get("start") for q, _a in requests] == [None, ["2"], ["4"]]

        incidents = {i.external_id: i for i in Incident.all_objects.all()}
        assert sorted(incidents) == [f"uuid:6f1b2c3d-0000-4000-8000-{n:012d}" for n in (1, 2, 3, 5)]
        first = incidents["uuid:6f1b2c3d-0000-4000-8000-000000000001"]
        assert (first.status, first.organisation.acronym, first.created_by, first.locality.name) == (
            "submitted", "HI", field_user, "Mopti",
        )  # fmt: skip
        assert sorted(first.casualties.values_list("outcome", "sex", "age", "age_group")) == [
            ("injured", "female", 9, "child"), ("killed", "male", 34, "adult"),
        ]  # fmt: skip
        assert list(first.sources.values_list("source_type", "reliability")) == [("community", "probable")]
        second = incidents["uuid:6f1b2c3d-0000-4000-8000-000000000002"]
        assert second.location.coords == pytest.approx(GAO)
        assert second.admin_area.name_fr == "Gao"
        assert incidents["uuid:6f1b2c3d-0000-4000-8000-000000000003"].sources.count() == 0
        assert incidents["uuid:6f1b2c3d-0000-4000-8000-000000000005"].description == "PMN"

        kept = FieldSubmission.objects.get(status="rejected")
        assert (kept.source, kept.instance_id, kept.record_id) == (
            "kobo", "uuid:6f1b2c3d-0000-4000-8000-000000000004", None,
        )  # fmt: skip
        assert kept.errors == {"casualties[0].age": ["An age lies between 0 and 120 years."]}
        assert json.loads(kept.payload)["_id"] == 1004

        with_photo = FieldSubmission.objects.get(instance_id=first.external_id)
        assert (with_photo.form_version, with_photo.attachments) == ("vKoboAbc", ["1700000000000.jpg"])
        assert (attachment_root / str(with_photo.pk) / "1700000000000.jpg").read_bytes() == PHOTO
        assert with_photo.data["casualties"][0] == {
            "casualty_outcome": "killed", "casualty_sex": "male", "casualty_age": "34",
            "casualty_civilian_status": "civilian",
        }  # fmt: skip

        source.refresh_from_db()
        assert source.last_pulled_at is not None
        again = kobo_source_pull(source=source)
        assert (again.created, again.rejected, again.duplicates) == (0, 0, 5)
        # The second pull asks only for rows submitted since shortly before the first one.
        since = json.loads(kobo.data_requests()[3][0]["query"][0])
        assert list(since) == ["_submission_time"]
    assert FieldSubmission.objects.count() == 5
    assert Incident.all_objects.count() == 4


@pytest.mark.django_db
def test_a_wrong_token_stops_the_pull_and_stores_nothing(field_user):
    with FakeKobo([]) as kobo:
        kobo.rows = _rows(kobo.url)
        source = _source(field_user, kobo.url, token="not-the-token")
        with pytest.raises(KoboPullError, match="refused the API token"):
            kobo_source_pull(source=source)
    assert FieldSubmission.objects.count() == 0
    source.refresh_from_db()
    assert source.last_pulled_at is None


@pytest.mark.django_db
def test_a_next_link_to_another_server_is_not_followed_with_the_token(field_user):
    with FakeKobo([]) as kobo, FakeKobo([]) as elsewhere:
        kobo.rows = _rows(kobo.url)
        # The first page's `next` names another host: the token must not go there.
        kobo.url = elsewhere.url
        with pytest.raises(KoboPullError, match="another server"):
            kobo_source_pull(source=_source(field_user, f"http://127.0.0.1:{kobo.server.server_address[1]}"))
        assert elsewhere.requests == []


@pytest.mark.django_db
def test_the_command_pulls_one_named_source(field_user, capsys):
    with FakeKobo([]) as kobo:
        kobo.rows = _rows(kobo.url)[:2]
        _source(field_user, kobo.url)
        call_command("kobo_pull", "--source", "HI Mopti")
    assert "HI Mopti: 1 page(s), 2 submitted, 0 kept with errors, 0 already received" in capsys.readouterr().out
    assert Incident.all_objects.filter(status="submitted").count() == 2


@pytest.mark.django_db
def test_pull_now_in_the_admin_queues_a_pull_once_committed(
    field_user, admin_client, django_capture_on_commit_callbacks
):
    source = _source(field_user, "https://kf.kobotoolbox.org")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            "/admin/field/kobosource/",
            {"action": "pull_now", "_selected_action": [source.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert len(callbacks) == 1
    assert "A pull of 1 source was queued" in response.content.decode()
    # The token is never written back into the page; saving without typing it keeps it.
    page = admin_client.get(f"/admin/field/kobosource/{source.pk}/change/").content.decode()
    assert 'name="api_token"' in page
    assert TOKEN not in page
    saved = admin_client.post(
        f"/admin/field/kobosource/{source.pk}/change/",
        {"name": "HI Mopti", "server_url": "kf.kobotoolbox.org", "asset_uid": ASSET, "api_token": "",
         "form_id": "eore_session", "user": field_user.pk, "enabled": "on"},
    )  # fmt: skip
    assert saved.status_code == 302
    source.refresh_from_db()
    assert (source.api_token, source.form_id, source.server_url) == (
        TOKEN,
        "eore_session",
        "https://kf.kobotoolbox.org",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_pulls_run_on_the_worker_on_demand_and_on_the_hourly_schedule(celery_worker, settings, tmp_path):
    import importlib

    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django_celery_beat.models import PeriodicTask

    from field.tasks import kobo_pull, kobo_pull_all

    call_command("load_reference_data", verbosity=0)
    user = member(get_user_model(), "fanta.field", Organisation.objects.get(acronym="HI"), "partner_field_user")
    # Transactional tests empty the tables the migration filled: run its step again (idempotent).
    importlib.import_module("field.migrations.0002_kobo_pull_schedule").schedule(apps, None)
    task = PeriodicTask.objects.get(name="Pull KoboToolbox submissions")
    assert (task.task, task.interval.every, task.interval.period, task.enabled) == (
        "field.kobo_pull_all", 1, "hours", True,
    )  # fmt: skip

    with FakeKobo([]) as kobo:
        kobo.rows = _rows(kobo.url)
        source = _source(user, kobo.url)
        result = kobo_pull.delay(source.pk).get(timeout=60)
        assert (result["pages"], result["created"], result["rejected"], result["duplicates"]) == (3, 4, 1, 0)
        assert Incident.all_objects.filter(status="submitted").count() == 4

        # The hourly task queues one pull per enabled source; rows already received are skipped.
        kobo.rows.append(_row(6, casualties=[("injured", "female", 23)]))
        assert kobo_pull_all.delay().get(timeout=60) == [source.pk]
        deadline = time.monotonic() + 60
        while Incident.all_objects.count() < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        connection.close()
    assert Incident.all_objects.count() == 5
    assert FieldSubmission.objects.count() == 6
    assert Incident.all_objects.get(external_id="uuid:6f1b2c3d-0000-4000-8000-000000000006").casualties.count() == 1
