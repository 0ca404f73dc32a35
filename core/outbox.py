"""The outbox: Celery tasks kept in PostgreSQL until the broker (Redis) has them.

A service that queues work calls `enqueue()` inside its transaction: the task becomes a row written
with the records, so a rollback drops both and a commit keeps both. Once the transaction commits the
row is sent at once; when the broker is unreachable the request does not wait for it (one attempt,
short timeouts): the row stays pending, and the relay (`relay()`: every minute on Celery beat, when
a worker starts, `manage.py relay_outbox`) sends the pending rows, oldest first, once it is back.

A row is marked sent after the broker took its task. Should that marking fail (the database lost in
between), the task is sent again: every task queued through here has its effect once however often
it is delivered (its state says the work is done; `one_at_a_time` keeps two deliveries from running
side by side).
"""

import datetime
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from core.db import DATABASE_UNAVAILABLE
from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# Seconds to reach the broker and to wait for its answer: what a request that queues work waits at
# most when Redis is down or hung (the refused connection of a stopped Redis fails at once).
BROKER_TIMEOUT = 1.0
# Rows the relay sends per transaction.
RELAY_BATCH = 100
# Sent rows say what was sent and when; the relay deletes them after this.
KEEP_SENT = datetime.timedelta(days=7)


def broker_connection(*, socket_timeout: float = BROKER_TIMEOUT):
    """A connection to the broker that gives up quickly: one attempt, short timeouts. By default
    kombu retries a failed connection for `broker_connection_timeout` (4 s) before publishing, and
    redis-py waits for ever on a server that accepts and never answers. A reader of replies (a
    worker's ping) needs a `socket_timeout` longer than Redis's 1 s BRPOP."""
    from mineaction.celery import app

    return app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT,
        transport_options={
            "max_retries": 0,
            "socket_connect_timeout": BROKER_TIMEOUT,
            "socket_timeout": socket_timeout,
        },
    )


def enqueue(task, *, args: Sequence = (), kwargs: Mapping[str, Any] | None = None) -> OutboxMessage:
    """Queues the Celery `task` (a task or its registered name) with JSON `args` and `kwargs`:
    written in the caller's transaction, sent to the broker once that transaction commits."""
    message = OutboxMessage.objects.create(task=getattr(task, "name", task), args=list(args), kwargs=dict(kwargs or {}))
    transaction.on_commit(lambda: _send_now(message.pk))
    return message


def _send_now(message_id: int) -> None:
    # Runs after the caller's commit: whatever happens here, the caller's write stands.
    try:
        with transaction.atomic():
            # Skipped when a relay holds the row: that relay sends it.
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:
                return
            with broker_connection() as broker:
                _send(broker, [message])
    except Exception as exc:
        # A database lost meanwhile (a restart) needs no traceback: the row waits for the relay.
        logger.warning(
            "Outbox message %s not sent: the relay sends it later.",
            message_id,
            exc_info=not isinstance(exc, DATABASE_UNAVAILABLE),
        )


def _send(broker, messages: list[OutboxMessage]) -> int:
    """Publishes `messages` in order and marks those the broker took; at the first failure the rest
    stay pending, in order, and the failure is noted on the message that met it."""
    from mineaction.celery import app

    sent = []
    for message in messages:
        try:
            # No result is waited for: without ignore_result, Celery subscribes to the Redis result
            # backend first, retrying for about 20 s when Redis is down.
            app.send_task(
                message.task, args=tuple(message.args), kwargs=message.kwargs, connection=broker, retry=False,
                ignore_result=True,
            )  # fmt: skip
        except Exception as exc:
            logger.warning("The broker refused outbox message %s (%s): kept pending.", message.pk, message.task)
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=message.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            break
        sent.append(message.pk)
    if sent:
        OutboxMessage.objects.filter(pk__in=sent).update(sent_at=timezone.now(), last_error="")
    return len(sent)


def relay(*, batch: int = RELAY_BATCH) -> int:
    """Sends the pending rows, oldest first, a batch per transaction, until none is left or the
    broker fails; the number sent. Rows another relay holds are skipped, not waited for, so that
    relays running side by side (beat, a starting worker, the command) send each row once."""
    total = 0
    with broker_connection() as broker:
        while True:
            with transaction.atomic():
                messages = list(
                    OutboxMessage.objects.select_for_update(skip_locked=True)
                    .filter(sent_at__isnull=True)
                    .order_by("created_at", "id")[:batch]
                )
                sent = _send(broker, messages) if messages else 0
            total += sent
            if sent < batch:
                break
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    if total:
        logger.info("The outbox relay sent %d task(s).", total)
    return total


def pending() -> tuple[int, datetime.datetime | None]:
    """How many rows wait, and when the oldest was written."""
    from django.db.models import Count, Min

    figures = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(count=Count("id"), oldest=Min("created_at"))
    return figures["count"], figures["oldest"]


@contextmanager
def one_at_a_time(task, key) -> Iterator[bool]:
    """True when no other worker is running `task` for `key` (a record's id), held until the block
    ends: a task delivered twice at once runs once, and the second delivery leaves. A PostgreSQL
    session lock, released too when a worker dies (its connection closes), so that a delivery of a
    task whose worker died runs."""
    name = f"{getattr(task, 'name', task)}:{key}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [name])
        (held,) = cursor.fetchone()
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])
            except Exception:
                # The connection is gone, and its lock with it.
                logger.warning("Lock %s not released: its connection is closed.", name, exc_info=True)
