"""Requests sent at the same instant: each in its own thread, with its own database connection,
released together by a barrier."""

import threading

from django.db import connection


def at_once(*sends, timeout: float = 60) -> list:
    """The answer of each `send()`, in order; an exception raised in a thread is its answer, for the
    assertions to report."""
    barrier = threading.Barrier(len(sends))
    answers: list = [None] * len(sends)

    def run(position: int) -> None:
        try:
            barrier.wait()
            answers[position] = sends[position]()
        except Exception as exc:
            answers[position] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return answers
