"""Test settings: the real PostGIS database and Redis broker, fast password hashing."""

import os

# Tests must run from a clean clone with no `.env`: give the one required secret a value.
os.environ.setdefault("SECRET_KEY", "test-only-not-secret")

from .base import *  # noqa: F403

# Several test runs side by side (one per checkout or per developer) each get their own database.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests use their own Redis database so that a worker of `make run` never answers them.
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")  # noqa: F405
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
# Workers a test starts as processes and kills (tests/reports/test_export_worker_killed.py) hand their
# task on within seconds, checked every second; a solo worker busy with a task never takes it twice.
if os.environ.get("TEST_BROKER_VISIBILITY_TIMEOUT"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ["TEST_BROKER_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
# Celery lets these environment variables (set from `.env`) win over settings.
os.environ["CELERY_BROKER_URL"] = os.environ["CELERY_RESULT_BACKEND"] = CELERY_BROKER_URL

# Throttle counters of tests live apart from those of a running server.
CACHES = {
    "default": {
        "BACKEND": CACHES["default"]["BACKEND"],  # noqa: F405
        "LOCATION": env.str("TEST_CACHE_URL", default="redis://127.0.0.1:6379/14"),  # noqa: F405
        "KEY_PREFIX": "test",
    }
}
