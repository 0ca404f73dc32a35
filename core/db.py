"""Database helpers shared by long-running work (exports, imports)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def side_connection() -> Iterator:
    """A second connection to the database, in autocommit, closed afterwards: progress written
    through it is seen by readers while the work's own transaction is still open."""
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield side
    finally:
        side.close()


def reserve_ids(model, count: int) -> list[int]:
    """`count` new primary keys from the model's own sequence, as inserts would draw them."""
    from django.db import connection

    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [value for (value,) in cursor.fetchall()]


def copy_instances(model, instances: list) -> None:
    """Unsaved instances, their primary keys set (`reserve_ids`), written by PostgreSQL's COPY: what
    `bulk_create` writes (auto_now dates, database defaults), without compiling an INSERT of
    thousands of values. Triggers fire as for any insert (`core.history.inserts_recorded_in_bulk`)."""
    from django.db import connection
    from django.db.models.expressions import DatabaseDefault

    fields = model._meta.concrete_fields
    columns = ", ".join(f'"{field.column}"' for field in fields)
    with connection.cursor() as cursor:
        # A statement through Django first: the execute wrappers (ignored triggers, history context)
        # set their variables for the transaction, which COPY does not pass through.
        cursor.execute("SELECT 1")
        with cursor.connection.cursor().copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for instance in instances:
                row = []
                for field in fields:
                    value = field.pre_save(instance, True)
                    if isinstance(value, DatabaseDefault):
                        value = getattr(field.db_default, "value", field.db_default)
                    elif hasattr(field, "geom_type"):
                        value = value.hexewkb.decode() if value is not None else None
                    else:
                        value = field.get_db_prep_save(value, connection)
                    row.append(value)
                copy.write_row(row)
    for instance in instances:
        instance._state.adding = False
