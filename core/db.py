"""Database helpers shared by long-running work (exports, imports), and what a lost database is."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections

# Connection lost, server shutting down or refusing connections, no free connection in the pool
# (psycopg_pool.PoolTimeout), a statement cancelled: the next request may well succeed (503, not
# 500). psycopg's own classes too, for a raw connection used outside Django's wrapper (copy_rows).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


def raise_if_database_lost() -> None:
    """Raises OperationalError when this thread's connection failed and is broken or gone. Django
    reads a constraint whose query failed as violated (`Q.check`): a record refused while the
    server restarted was never judged."""
    raw = connection.connection
    lost = connection.errors_occurred if raw is None else raw.broken or raw.closed
    if lost:
        raise OperationalError("The connection to the database was lost during validation.")


@contextmanager
def side_connection() -> Iterator:
    """A second connection to the database, in autocommit, closed afterwards: progress written
    through it is seen by readers while the work's own transaction is still open."""
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield side
    finally:
        side.close()


@contextmanager
def without_parallel_workers() -> Iterator:
    """Statements planned without parallel workers, in a transaction of their own. With PostGIS's
    function costs, PostgreSQL plans a page of 100 records in a box of the map with two workers:
    69 ms for incidents and 167 ms for hazardous areas, against 3.4 ms and 8 ms without them;
    starting workers costs a short read more than it saves. Large aggregations keep them."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


def reserve_ids(model, count: int) -> list[int]:
    """`count` new primary keys from the model's own sequence, as inserts would draw them."""
    from django.db import connection

    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [value for (value,) in cursor.fetchall()]


def copy_rows(model, rows: list[dict]) -> None:
    """Rows of a model (column values by attname, as COPY's text reads them: ISO dates, hex EWKB
    geometry) written by PostgreSQL's COPY, without compiling an INSERT of thousands of values. A
    column a row leaves out takes the field's database default, else its default, else NULL.
    Triggers fire as for any insert (`core.history.inserts_recorded_in_bulk`)."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    fields = model._meta.concrete_fields
    fallback = {}
    for field in fields:
        if field.db_default is not NOT_PROVIDED:
            fallback[field.attname] = getattr(field.db_default, "value", field.db_default)
        elif field.has_default():
            fallback[field.attname] = field.get_default()
        else:
            fallback[field.attname] = None
    columns = ", ".join(f'"{field.column}"' for field in fields)
    with connection.cursor() as cursor:
        # A statement through Django first: its execute wrappers (ignored triggers, history context)
        # set their variables for the transaction, which COPY does not pass through.
        cursor.execute("SELECT 1")
        with cursor.connection.cursor().copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row.get(field.attname, fallback[field.attname]) for field in fields])
