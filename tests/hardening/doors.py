"""How a hostile request is sent and judged: inside a savepoint rolled back afterwards, so that the
next payload finds the same database, with the table counts compared before the rollback."""

import json
import sys
from dataclasses import dataclass

from django.db import transaction

from tests.hardening.conftest import table_counts

CLIENT_ERRORS = {400, 404, 405, 409, 413, 415, 422}
# Requests sent, by the test module that sent them (its door), printed at the end of the run.
SENT: dict[str, int] = {}


@dataclass
class Outcome:
    status: int
    body: object
    changed: dict
    error: str = ""

    @property
    def refused(self) -> bool:
        return self.status in CLIENT_ERRORS


class _Rollback(Exception):
    pass


def send(call, *, counted: bool = True) -> Outcome:
    """`call()` makes the request; any exception it raises is a 500 as a server would answer it.
    Reads (`counted=False`) skip the table counts: the test compares them once, at its end."""
    outcome = None
    door = sys._getframe(1).f_globals["__name__"].rsplit(".", 1)[-1].removeprefix("test_")
    SENT[door] = SENT.get(door, 0) + 1
    try:
        with transaction.atomic():
            before = table_counts() if counted else {}
            try:
                response = call()
            except Exception as exc:  # the test client re-raises what the view raised
                outcome = Outcome(500, None, {}, f"{type(exc).__name__}: {exc}"[:300])
                raise _Rollback from exc
            after = table_counts() if counted else {}
            changed = {name: (before[name], after[name]) for name in after if after[name] != before[name]}
            outcome = Outcome(response.status_code, _body(response), changed)
            raise _Rollback
    except _Rollback:
        pass
    return outcome


def _body(response):
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        try:
            return json.loads(response.content)
        except ValueError:
            return response.content
    return getattr(response, "content", b"")
