"""The cache fails open (core.cache) on a Redis of the test's own, killed or hung: a read is a miss, a
write is skipped, a warning is logged, no request fails or waits more than one timeout."""

import logging
import os
import signal
import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.faults.redis_fixtures import private_redis  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_redis(private_redis, settings):  # noqa: F811
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": private_redis.url(1),
            "KEY_PREFIX": "failopen",
            "OPTIONS": {"retry_after": 1},
        }
    }
    return private_redis


def _warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "core.cache"]


def test_with_redis_killed_reads_are_misses_and_writes_are_skipped(cache_redis, caplog):
    cache.set("figure", 41)
    assert cache.get("figure") == 41
    cache_redis.kill()
    caplog.set_level(logging.WARNING, logger="core.cache")

    assert cache.get("figure", "missed") == "missed"
    assert cache.set("figure", 42) is None
    assert cache.add("other", 1) is False
    assert cache.get_many(["figure", "other"]) == {}
    assert cache.has_key("figure") is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.delete("figure") is False
    with pytest.raises(ValueError, match="not found"):
        cache.incr("counter")
    assert cache.get_or_set("computed", 7) == 7
    # Said once, not at every call.
    (warning,) = _warnings(caplog)
    assert "Connection refused" in warning
    assert "reads are misses and writes are skipped for 1.0 s" in warning

    # Back (with nothing: no persistence), used again once its pause is over.
    cache_redis.start()
    time.sleep(1.1)
    cache.set("figure", 43)
    assert cache.get("figure") == 43


def test_with_redis_hung_one_call_waits_its_timeout_and_the_next_ones_none(cache_redis, caplog):
    caplog.set_level(logging.WARNING, logger="core.cache")
    cache.set("figure", 1)
    os.kill(cache_redis.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert cache.get("figure") is None
        first = time.monotonic() - started
        started = time.monotonic()
        for n in range(50):
            assert cache.get(f"key-{n}", n) == n
            cache.set(f"key-{n}", n)
        rest = time.monotonic() - started
    finally:
        os.kill(cache_redis.process.pid, signal.SIGCONT)
    # socket_timeout: 0.5 s.
    assert 0.4 < first < 1.0, first
    assert rest < 0.1, rest
    (warning,) = _warnings(caplog)
    assert "Timeout" in warning


def test_the_api_throttle_lets_requests_through_when_the_cache_hangs(cache_redis, partner_user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(partner_user)
    assert client.get("/api/v1/incidents/").status_code == 200
    os.kill(cache_redis.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        statuses = [client.get("/api/v1/incidents/").status_code for _ in range(5)]
        seconds = time.monotonic() - started
    finally:
        os.kill(cache_redis.process.pid, signal.SIGCONT)
    assert statuses == [200] * 5
    # One timeout for the five requests: the cache leaves Redis alone after it.
    assert seconds < 1.5, seconds
