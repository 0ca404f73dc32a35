"""The cache backend: Django's Redis cache, failing open when Redis is unreachable.

What the cache holds (API throttle counters, the dashboard's figures, organisations' request limits,
parsed field forms) is worth recomputing, never worth refusing a request: a failed read is a miss,
a failed write is skipped, each logged at warning. Django's `RedisCache` raises instead, and has no
option to do otherwise; django-redis has one (`IGNORE_EXCEPTIONS`) but is a second client with its
own settings for what Django already does: this small subclass keeps Django's client.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis import exceptions as redis_errors

logger = logging.getLogger(__name__)


class FailOpenRedisCache(RedisCache):
    """After Redis failed to answer, the cache leaves it alone for `OPTIONS["retry_after"]`
    seconds (5 by default): every call in between is a miss or a skipped write at once, so that
    a hung Redis costs a request one timeout at most, not one per cache call. Connecting and each
    answer wait `socket_connect_timeout` and `socket_timeout` (0.5 s by default; redis-py waits
    for ever)."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self._retry_after = float(options.pop("retry_after", 5))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0

    def _fail_open(self, what: str, fallback, call, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return call(*args, **kwargs)
        except (redis_errors.ConnectionError, redis_errors.TimeoutError) as exc:
            self._down_until = time.monotonic() + self._retry_after
            logger.warning(
                "The cache (Redis) is unreachable (%s: %s): reads are misses and writes are skipped for %s s.",
                type(exc).__name__, exc, self._retry_after,
            )  # fmt: skip
        except redis_errors.RedisError as exc:
            # Redis answered with an error (out of memory, read-only replica): this call only.
            logger.warning("The cache's %s failed (%s: %s): skipped.", what, type(exc).__name__, exc)
        return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("add", False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._fail_open("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._fail_open("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._fail_open("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._fail_open("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._fail_open("incr", missing, super().incr, key, delta, version)
        if value is missing:
            # As for a key that is not there: the caller sets it (a write, skipped in turn).
            raise ValueError(f"Key '{key}' not found.")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set_many", list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._fail_open("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._fail_open("clear", False, super().clear)
