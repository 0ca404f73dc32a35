"""Demonstration and scale data: writes in bulk with COPY, never one ORM save per row.

The generated records go through no service: the rules those services apply (Mali's
reclassification of improvised AV mines, age groups, released area within the hazard's area,
areas computed by PostGIS) are applied here with the same functions or the same SQL.
"""

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from psycopg import sql

from core.models import TrackedModel
from core.services import REFERENCE_PREFIXES
from demo.figures import SCALES

# Apps whose tables hold reported records; reference data and users live elsewhere.
DOMAIN_APPS = ("hazards", "incidents", "education", "assistance", "community")

Log = Callable[[str], None]


def _domain_models(*, records: bool) -> list:
    models = [model for label in DOMAIN_APPS for model in apps.get_app_config(label).get_models()]
    return [model for model in models if issubclass(model, TrackedModel) == records]


def domain_tables() -> list[str]:
    """Tables of records, not of their history or of reads of personal data."""
    return [model._meta.db_table for model in _domain_models(records=True)]


def history_tables() -> list[str]:
    return [model._meta.db_table for model in _domain_models(records=False)]


def domain_record_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in domain_tables():
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            counts[table] = cursor.fetchone()[0]
    return counts


@transaction.atomic
def demo_data_delete() -> None:
    """Deletes every record of the domain tables, never reference data or users.

    Numbering starts again at 1 (ids and reference codes): no record holding an old code
    is left, and the same seed then gives the same codes.
    """
    # The history of deleted invented records goes with them.
    tables = sql.SQL(", ").join(sql.Identifier(t) for t in [*domain_tables(), *history_tables()])
    with connection.cursor() as cursor:
        # No CASCADE: a table outside these apps that points at them must make this fail loudly.
        cursor.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(tables))
        for prefix in REFERENCE_PREFIXES:
            cursor.execute(sql.SQL("ALTER SEQUENCE {} RESTART").format(sql.Identifier(reference_sequence(prefix))))


@transaction.atomic
def demo_data_generate(*, scale: str, seed: int, log: Log = print) -> dict[str, int]:
    """Generates a national database for Mali at the given scale; returns rows per table."""
    from demo.generation import DemoGenerator

    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    # A bulk load is not a series of edits: no history events for invented records. Trigger
    # changes are transactional, so they are back on whatever happens.
    with connection.cursor() as cursor:
        for table in domain_tables():
            cursor.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(sql.Identifier(table)))
        DemoGenerator(scale=SCALES[scale], seed=seed, log=log).run()
        for table in domain_tables():
            cursor.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(sql.Identifier(table)))
    return domain_record_counts()


# --- Bulk loading helpers --------------------------------------------------------------------


def reference_sequence(prefix: str) -> str:
    return f"reference_{prefix.lower()}_seq"


def next_value(sequence: str) -> int:
    """The value the sequence would give next, without taking it (sequences start at 1)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(pg_sequence_last_value(%s::regclass), 0) + 1", [sequence])
        return cursor.fetchone()[0]


def id_sequence(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        return cursor.fetchone()[0]


def advance_sequence(sequence: str, last_used: int) -> None:
    """Later records created by the services must not take a number already used here."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(%s::regclass, %s, true)", [sequence, last_used])


@contextmanager
def copy_rows(table: str, columns: Sequence[str]) -> Iterator[Callable[[Sequence[Any]], None]]:
    """`write(row)` for each row, streamed to PostgreSQL by COPY (text format)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        yield copy.write_row


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.started
