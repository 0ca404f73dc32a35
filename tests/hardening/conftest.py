"""The snapshot every door is held to: the row count of each table of the project's apps (records,
their history, reference data, users), before and after hostile input."""

import pytest
from django.apps import apps
from django.db import connection

from accounts import roles
from tests.people import member

PROJECT_APPS = ("core", "accounts", "reference", "hazards", "incidents", "education", "assistance", "community",
                "quality", "dashboard", "gis", "reports", "field", "pghistory", "auth", "authtoken")  # fmt: skip
# What a door keeps about the attempt itself: an import's report, a token made for the test client,
# a quota's counter, the queued check of a file large enough for a worker. Records and their history
# are never among them.
BOOKKEEPING = {"field_recordimport", "field_importrow", "accounts_apiquota", "authtoken_token", "core_outboxmessage"}


def _tables() -> list[str]:
    names = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in PROJECT_APPS and model._meta.managed and not model._meta.proxy
    }
    return sorted(names - BOOKKEEPING)


def table_counts() -> dict[str, int]:
    """One round trip for every table, so that a test may take it after each request."""
    tables = _tables()
    # The names come from the models, not from input.
    sql = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM {connection.ops.quote_name(name)}" for name in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


@pytest.fixture
def snapshot(db):
    """`snapshot.check()` fails naming each table whose row count moved since the fixture (or the
    last `snapshot.take()`)."""

    class Snapshot:
        def __init__(self):
            self.take()

        def take(self):
            self.before = table_counts()

        def changed(self) -> dict[str, tuple[int, int]]:
            after = table_counts()
            return {name: (self.before[name], after[name]) for name in after if after[name] != self.before[name]}

        def check(self, label=""):
            assert self.changed() == {}, label

    return Snapshot()


@pytest.fixture
def alice(django_user_model, partner_a):
    """Partner A's data manager."""
    return member(django_user_model, "alice", partner_a, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def api_alice(alice):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(alice)
    return client


def pytest_terminal_summary(terminalreporter):
    from tests.hardening.doors import SENT

    if SENT:
        by_door = ", ".join(f"{door or 'other'} {count}" for door, count in sorted(SENT.items()))
        terminalreporter.write_line(f"Hostile requests sent: {sum(SENT.values())} ({by_door})")
