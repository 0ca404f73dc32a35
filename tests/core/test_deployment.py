"""Docker cannot run here: these tests read the deployment files against the code instead."""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ["migrate", "web", "worker", "beat"]


def _import_target(dotted: str) -> object:
    module, _, attr = dotted.replace(":", ".").rpartition(".")
    return getattr(importlib.import_module(module), attr)


def test_compose_describes_every_service_of_the_architecture():
    assert set(COMPOSE["services"]) == {"db", "redis", *APP_SERVICES}
    assert COMPOSE["services"]["db"]["image"].startswith("postgis/postgis:")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_command_refers_to_something_that_exists(name):
    service = COMPOSE["services"][name]
    command = service["command"]
    assert service["build"] == "."
    assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "mineaction.settings.production"
    assert service["environment"]["DATABASE_URL"].startswith("postgis://")
    if command[0] == "gunicorn":
        assert callable(_import_target(command[1]))
    elif command[0] == "celery":
        assert command[1:3] == ["-A", "mineaction"]
        assert importlib.import_module("mineaction").celery_app.main == "mineaction"
        assert command[3] in {"worker", "beat"}
        if "--scheduler" in command:
            assert _import_target(command[command.index("--scheduler") + 1])
    else:
        assert command[:2] == ["python", "manage.py"]
        assert (ROOT / "manage.py").exists()


def test_app_services_start_after_migrations_and_healthy_services():
    for name in ["web", "worker", "beat"]:
        depends = COMPOSE["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert COMPOSE["services"]["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_dockerfile_runs_the_same_wsgi_application_as_compose():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mineaction.wsgi:application" in dockerfile
    assert "mineaction.settings.production" in dockerfile
    assert importlib.util.find_spec("mineaction.settings.production") is not None


def test_env_example_documents_every_variable_the_settings_read():
    read = set()
    for path in (ROOT / "mineaction" / "settings").glob("*.py"):
        read |= set(re.findall(r'(?:env\.\w+|_bool|_required_url)\(\s*"([A-Z_]+)"', path.read_text()))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    read -= {"TEST_CELERY_BROKER_URL", "TEST_CACHE_URL"}
    assert read <= documented, f"undocumented: {sorted(read - documented)}"


def _settings_error(**environ: str) -> str:
    # A fresh interpreter: settings are read once per process.
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x", "DJANGO_READ_DOT_ENV_FILE": "False", **environ}
    result = subprocess.run(
        [sys.executable, "-c", "import mineaction.settings.production"],
        cwd="/",
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_URL": "postgres://u:p@h/db"}, "DATABASE_URL must start with one of postgis://"),
        ({"CELERY_BROKER_URL": "amqp://h//"}, "CELERY_BROKER_URL must start with one of redis://"),
        ({"TIME_ZONE": "Mali/Nowhere"}, "TIME_ZONE 'Mali/Nowhere' is not an IANA time zone name"),
        ({"LANGUAGE_CODE": "de"}, "LANGUAGE_CODE must be one of fr, en"),
        ({"DEBUG": "perhaps"}, "DEBUG must be True or False, not 'perhaps'"),
    ],
)
def test_settings_fail_loudly_on_bad_values(environ, message):
    assert message in _settings_error(**environ)


def test_settings_require_a_secret_key():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DJANGO_READ_DOT_ENV_FILE": "False"}
    result = subprocess.run(
        [sys.executable, "-c", "import mineaction.settings.production"],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_web_workers_are_threaded_each_with_a_pool_of_one_connection_a_thread(monkeypatch):
    import runpy

    # What the file sets for gunicorn's workers stays out of this process's environment.
    monkeypatch.setattr(os, "environ", dict(os.environ))
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread"
    assert config["threads"] >= 2
    assert config["workers"] >= 2
    script = (
        "from django.conf import settings; import django; django.setup(); "
        "from django.db import connection; d = settings.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['OPTIONS']['pool']['max_size'], type(connection.pool).__name__, "
        "d['OPTIONS']['options'])"
    )
    env = {
        "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "mineaction.settings.production",
        "SECRET_KEY": "x" * 50, "DJANGO_READ_DOT_ENV_FILE": "False", "ALLOWED_HOSTS": "example.org",
        # What gunicorn.conf.py set for its workers.
        "DATABASE_POOL_SIZE": os.environ["DATABASE_POOL_SIZE"],
    }  # fmt: skip
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd="/")  # noqa: S603
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", str(config["threads"]), "ConnectionPool", "-c", "jit=off"]
    # Longer than a client's pause between requests: the server never closes a connection being reused.
    assert config["keepalive"] > 3


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values[name.strip()] = value.strip()
    return values


@pytest.mark.parametrize("name", APP_SERVICES)
def test_no_service_is_pointed_at_itself_by_a_url_from_the_env_example(name):
    """Each app service's environment as compose renders it (`.env` made from .env.example, then the
    service's own `environment`): every URL names a compose service or a host outside, never
    127.0.0.1 or localhost, which inside a container is the container itself."""
    from urllib.parse import urlsplit

    service = COMPOSE["services"][name]
    rendered = {**_env_example(), **{k: str(v) for k, v in service["environment"].items()}}
    hosts = {}
    for variable, value in rendered.items():
        if "://" in value:
            hosts[variable] = urlsplit(value.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "x")).hostname
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"} <= set(hosts)
    local = {variable: host for variable, host in hosts.items() if host in ("127.0.0.1", "localhost", "::1")}
    assert not local, f"{name}: {local} point at the container itself"
    internal = {host for host in hosts.values() if host and "." not in host}
    assert internal <= set(COMPOSE["services"]), internal
