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
