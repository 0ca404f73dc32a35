"""How a hostile request is sent and judged: inside a savepoint rolled back afterwards, so that the
next payload finds the same database, with the table counts compared before the rollback."""

import json
from dataclasses import dataclass

from django.db import transaction

from tests.hardening.conftest import table_counts

CLIENT_ERRORS = {400, 404, 405, 409, 413, 415, 422}


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


def send(call) -> Outcome:
    """`call()` makes the request; any exception it raises is a 500 as a server would answer it."""
    outcome = None
    try:
        with transaction.atomic():
            before = table_counts()
            try:
                response = call()
            except Exception as exc:  # the test client re-raises what the view raised
                outcome = Outcome(500, None, {}, f"{type(exc).__name__}: {exc}"[:300])
                raise _Rollback from exc
            after = table_counts()
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
