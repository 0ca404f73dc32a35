"""PostgreSQL restarted under a stream of API requests served by gunicorn as in production
(gunicorn.conf.py: gthread, the connection pool on), on the tests' own cluster (conftest.py).

A request caught by the restart answers 503 in JSON with Retry-After, never 500; the requests
after the server is back succeed, without restarting the application; a create that answered 201
is stored once with its history, one that answered 503 is stored once or not at all."""

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from tests.api.helpers import incident_payload

pytestmark = pytest.mark.faults

THREADS = 6
WARM_UP_SECONDS = 1.5
# Requests sent this long after pg_ctl saw the server back must all succeed.
RECOVERY_SECONDS = 5.0
# How long the stream goes on once the server is back: the recovery, then steady success.
AFTER_SECONDS = RECOVERY_SECONDS + 4.0
HTTPS = {"X-Forwarded-Proto": "https", "Accept-Language": "en"}


@dataclass
class Answer:
    kind: str
    started: float
    ended: float
    status: int | None = None
    json: object = None
    retry_after: str | None = None
    error: str = ""
    external_id: str = ""


def _send(session: requests.Session, kind: str, url: str, **kwargs) -> Answer:
    answer = Answer(kind, time.monotonic(), 0.0, external_id=kwargs.pop("external_id", ""))
    try:
        response = session.request(kind_method(kind), url, timeout=60, **kwargs)
    except requests.RequestException as exc:
        answer.error = f"{type(exc).__name__}: {exc}"
    else:
        answer.status = response.status_code
        answer.retry_after = response.headers.get("Retry-After")
        if response.headers.get("Content-Type", "").startswith("application/json"):
            answer.json = response.json()
    answer.ended = time.monotonic()
    return answer


def kind_method(kind: str) -> str:
    return "POST" if kind == "create" else "GET"


class Stream:
    """Threads each sending, in turn, a list read, a detail read and a create, until stopped."""

    def __init__(self, stack, prefix: str, detail_ids: list[int]):
        self.stack = stack
        self.prefix = prefix
        self.detail_ids = detail_ids
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.numbers = itertools.count(1)
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(THREADS)]

    def run(self, position: int) -> None:
        base = self.stack.base_url
        officer = requests.Session()
        officer.headers.update({**HTTPS, "Authorization": f"Token {self.stack.tokens['officer']}"})
        alice = requests.Session()
        alice.headers.update({**HTTPS, "Authorization": f"Token {self.stack.tokens['alice']}"})
        for turn in itertools.count(position):
            if self.stop.is_set():
                break
            step = turn % 3
            if step == 0:
                answer = _send(officer, "list", f"{base}/api/v1/incidents/?page_size=20")
            elif step == 1:
                pk = self.detail_ids[turn % len(self.detail_ids)]
                answer = _send(alice, "detail", f"{base}/api/v1/incidents/{pk}/")
            else:
                external_id = f"{self.prefix}-{next(self.numbers)}"
                answer = _send(
                    alice, "create", f"{base}/api/v1/incidents/", json=incident_payload(external_id=external_id),
                    external_id=external_id,
                )  # fmt: skip
            with self.lock:
                self.answers.append(answer)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)


def _seed(stack, prefix: str) -> list[int]:
    session = requests.Session()
    session.headers.update({**HTTPS, "Authorization": f"Token {stack.tokens['alice']}"})
    ids = []
    for number in range(3):
        response = session.post(
            f"{stack.base_url}/api/v1/incidents/", json=incident_payload(external_id=f"{prefix}-seed-{number}"),
            timeout=30,
        )  # fmt: skip
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _restart_under_load(stack, mode: str) -> dict:
    prefix = f"FAULT-{mode.upper()}"
    detail_ids = _seed(stack, prefix)
    with Stream(stack, prefix, detail_ids) as stream:
        time.sleep(WARM_UP_SECONDS)
        restart_at = time.monotonic()
        restart_seconds = stack.cluster.pg_ctl("restart", "-m", mode)
        back_at = time.monotonic()
        time.sleep(AFTER_SECONDS)
    answers = sorted(stream.answers, key=lambda a: a.started)
    failed = [a for a in answers if a.status != 200 and a.status != 201]
    return {
        "answers": answers,
        "failed": failed,
        "restart_at": restart_at,
        "back_at": back_at,
        "restart_seconds": restart_seconds,
        # From the server back to the end of the last failed request.
        "recovered_after": max((a.ended for a in failed), default=back_at) - back_at,
    }


def _assert_clean_answers(outcome: dict) -> None:
    answers = outcome["answers"]
    # Every request answered: 2xx, or 503 in JSON with a Retry-After; no 500, no dropped connection.
    assert [a.error for a in answers if a.error] == []
    assert [a for a in answers if a.status not in (200, 201, 503)] == []
    for answer in answers:
        if answer.status == 503:
            assert set(answer.json) == {"detail"}, answer
            assert answer.json["detail"] == "The database did not answer: try again in a few seconds."
            assert answer.retry_after == "5"
    before = [a for a in answers if a.ended < outcome["restart_at"]]
    assert before
    assert all(a.status in (200, 201) for a in before)
    after = [a for a in answers if a.started >= outcome["back_at"] + RECOVERY_SECONDS]
    assert len(after) >= 10
    assert [a.status for a in after if a.status not in (200, 201)] == []
    assert {a.kind for a in after} == {"list", "detail", "create"}


def _assert_creates_stored_once(stack, outcome: dict, prefix: str) -> dict:
    creates = [a for a in outcome["answers"] if a.kind == "create"]
    stored = dict(
        stack.cluster.query(
            "SELECT external_id, count(*) FROM incidents_incident WHERE external_id LIKE %s GROUP BY external_id",
            (f"{prefix}-%",),
        )
    )
    created = {a.external_id for a in creates if a.status == 201}
    refused = {a.external_id for a in creates if a.status == 503}
    # Every 201 is there exactly once; a 503 is there once or not at all; nothing else appeared.
    assert {external_id: stored.get(external_id) for external_id in created} == dict.fromkeys(created, 1)
    assert all(stored.get(external_id, 0) in (0, 1) for external_id in refused)
    seeds = {f"{prefix}-seed-{n}" for n in range(3)}
    assert set(stored) - seeds <= created | refused
    # One insert in each stored incident's history, and no history of an incident that is not stored.
    history = dict(
        stack.cluster.query(
            "SELECT i.external_id, count(e.pgh_id) FROM incidents_incident i LEFT JOIN incidents_incidentevent e"
            " ON e.pgh_obj_id = i.id AND e.pgh_label = 'insert' WHERE i.external_id LIKE %s GROUP BY i.external_id",
            (f"{prefix}-%",),
        )
    )
    assert history == dict.fromkeys(stored, 1)
    orphans = stack.cluster.query(
        "SELECT count(*) FROM incidents_incidentevent e WHERE e.external_id LIKE %s"
        " AND NOT EXISTS (SELECT 1 FROM incidents_incident i WHERE i.id = e.pgh_obj_id)",
        (f"{prefix}-%",),
    )
    assert orphans == [(0,)]
    return {"created": len(created), "refused": len(refused), "refused_stored": len(refused & set(stored))}


def _report(mode: str, outcome: dict, stored: dict, seconds: float) -> None:
    failed = outcome["failed"]
    by_kind = {kind: sum(1 for a in failed if a.kind == kind) for kind in ("list", "detail", "create")}
    print(
        f"\nrestart -m {mode}: {len(outcome['answers'])} requests, {len(failed)} answered 503 {by_kind}; "
        f"pg_ctl restart {outcome['restart_seconds']:.1f} s, last failure ended "
        f"{outcome['recovered_after']:.1f} s after the server was back; creates: {stored['created']} × 201, "
        f"{stored['refused']} × 503 of which {stored['refused_stored']} stored; test {seconds:.1f} s"
    )


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_restart_under_load_answers_503_then_recovers(private_stack, mode):
    started = time.monotonic()
    log_start = private_stack.log.stat().st_size
    outcome = _restart_under_load(private_stack, mode)

    _assert_clean_answers(outcome)
    stored = _assert_creates_stored_once(private_stack, outcome, f"FAULT-{mode.upper()}")
    log = private_stack.log.read_bytes()[log_start:].decode()
    # Warnings of one line, never a traceback nor Django's "Internal Server Error".
    assert "Traceback" not in log
    assert "Internal Server Error" not in log
    assert log.count("Database unavailable") == len(outcome["failed"])
    _report(mode, outcome, stored, time.monotonic() - started)


def test_while_the_server_is_down_pages_and_api_answer_503_then_work_again(private_stack):
    stack = private_stack
    api = requests.Session()
    api.headers.update({**HTTPS, "Authorization": f"Token {stack.tokens['officer']}"})
    pages = requests.Session()
    pages.headers.update({**HTTPS, "Cookie": f"sessionid={stack.officer_session}"})
    urls = {"api": f"{stack.base_url}/api/v1/incidents/", "page": f"{stack.base_url}/incidents/",
            "admin": f"{stack.base_url}/admin/incidents/incident/"}  # fmt: skip
    assert [pages.get(urls["page"]).status_code, pages.get(urls["admin"]).status_code] == [200, 200]
    assert api.get(urls["api"]).status_code == 200

    stack.cluster.pg_ctl("stop", "-m", "fast")
    try:
        # At once: each waits for the pool's timeout (DATABASE_POOL_TIMEOUT) before its 503.
        with ThreadPoolExecutor(len(urls)) as executor:
            sent = {name: executor.submit((api if name == "api" else pages).get, url, timeout=60)
                    for name, url in urls.items()}  # fmt: skip
        down = {name: future.result() for name, future in sent.items()}
    finally:
        stack.cluster.start()
    back_at = time.monotonic()

    assert {name: response.status_code for name, response in down.items()} == dict.fromkeys(down, 503)
    assert down["api"].json() == {"detail": "The database did not answer: try again in a few seconds."}
    assert all(response.headers["Retry-After"] == "5" for response in down.values())
    for name in ("page", "admin"):
        assert down[name].headers["Content-Type"].startswith("text/html")
        assert "<h1>Service unavailable</h1>" in down[name].text
    # The application was not restarted: the same processes answer as soon as the server is back.
    answered = {}
    while time.monotonic() - back_at < RECOVERY_SECONDS and set(answered.values()) != {200}:
        answered = {name: (api if name == "api" else pages).get(url, timeout=30).status_code
                    for name, url in urls.items()}  # fmt: skip
    assert answered == dict.fromkeys(urls, 200)
