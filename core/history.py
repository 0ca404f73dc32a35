"""History of every domain record: django-pghistory events, with who did what and why.

Every insert, update and delete of a tracked table is captured by database triggers (so
bulk updates are too); the context of a change (user, action, reason) is attached by
`recorded()` around each service write, and by pghistory's middleware for pages.
"""

from contextlib import contextmanager

import pghistory


def history_trackers() -> tuple:
    """Inserts, updates (of any field) and deletes; new tracker objects for each model."""
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


@contextmanager
def recorded(*, user, action: str, reason: str = "", **extra):
    """Attach who did what, and why, to the history events written inside the block."""
    user_id = getattr(user, "pk", None)
    with pghistory.context(user=user_id, username=getattr(user, "username", None), action=action, reason=reason,
                           **extra):  # fmt: skip
        yield


def record_history(record) -> list:
    """The versions of one record, oldest first, with their context (user, action, reason)."""
    from pghistory.models import Events

    return list(Events.objects.tracks(record).order_by("pgh_created_at", "pgh_id"))
