"""Docker cannot run here: these tests read the deployment files against the code instead."""

import importlib
import json
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


def _variables_read(*modules: str) -> set[str]:
    """The environment variables settings modules read: through django-environ (`env.str("NAME"`), the
    helpers of base.py (`_bool`, `_required_url`, `_date`) or os.environ itself."""
    pattern = re.compile(
        r'(?:env\.\w+|_bool|_required_url|_date|os\.environ\.get|os\.environ\.setdefault|os\.getenv)\(\s*"([A-Z0-9_]+)"'
        r'|os\.environ\["([A-Z0-9_]+)"\]'
    )
    read = set()
    for module in modules:
        text = (ROOT / "mineaction" / "settings" / f"{module}.py").read_text()
        read |= {first or second for first, second in pattern.findall(text)}
    return read


def test_variables_read_are_found_in_the_settings():
    # The reading above is a pattern: it must see what base.py plainly reads.
    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "PLAUSIBLE_DATE_FLOOR", "EXPORT_ROOT"} <= _variables_read("base")
    assert "TEST_DATABASE_NAME" in _variables_read("test")


def test_env_example_documents_every_variable_the_settings_read():
    read = _variables_read("base", "dev", "production", "test")
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    # Variables of the test settings only, for running test suites side by side.
    read -= {name for name in read if name.startswith("TEST_")}
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


def _rendered(name: str) -> dict[str, str]:
    """A service's environment as compose renders it: `.env` (made from .env.example), then its own
    `environment`, with the password compose interpolates."""
    service = COMPOSE["services"][name]
    assert service["env_file"] == ".env"
    own = {
        k: str(v).replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "x") for k, v in service["environment"].items()
    }
    return {**_env_example(), **own}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_the_deployed_settings_read_is_set_or_defaulted_for_each_app_service(name):
    read = _variables_read("base", "production")
    assert read - set(_rendered(name)) == set()


def _container_roots(name: str) -> dict[str, str]:
    """The file roots as the production settings compute them in the service's container: the same
    settings read the rendered environment here, then the project folder is moved to the image's."""
    workdir = re.search(r"^WORKDIR\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE).group(1)
    script = (
        "import json; from mineaction.settings import production as s; "
        "print(json.dumps({n: str(getattr(s, n)) for n in ('EXPORT_ROOT', 'IMPORT_ROOT', 'FIELD_ATTACHMENT_ROOT')}))"
    )
    env = {**_rendered(name), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DJANGO_READ_DOT_ENV_FILE": "False"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd="/")  # noqa: S603
    assert result.returncode == 0, result.stderr
    roots = json.loads(result.stdout)
    return {setting: re.sub(rf"^{re.escape(str(ROOT))}(?=/|$)", workdir, path) for setting, path in roots.items()}


def _named_volumes(name: str) -> dict[str, str]:
    """Mount point -> named volume of a service (bind mounts are no volume the others share)."""
    mounts = {}
    for entry in COMPOSE["services"][name].get("volumes", []):
        source, _, target = entry.partition(":")
        if source in (COMPOSE.get("volumes") or {}):
            mounts[target.split(":")[0]] = source
    return mounts


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_the_file_roots_lie_in_a_volume_the_web_service_and_the_workers_share(name):
    """What a worker writes (an export, a checked import) the web service serves, and the other way
    round (an upload, a field photo): each root, where the settings put it in the container, is in a
    named volume mounted at the same place by web and by this service."""
    roots = _container_roots(name)
    assert _container_roots("web") == roots
    for setting, path in roots.items():
        shared = [
            mount
            for mount, volume in _named_volumes(name).items()
            if _named_volumes("web").get(mount) == volume
            and (path == mount or path.startswith(mount.rstrip("/") + "/"))
        ]
        assert shared, f"{name}: {setting}={path} is in no volume shared with web"


def test_the_shared_volume_is_writable_by_the_user_the_image_runs_as():
    """A new named volume starts as a copy of the image's folder at its mount point, owner included:
    the folder is created and given to the services' user (uid 10001) in the image."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.search(r"^USER\s+(\S+)", dockerfile, re.MULTILINE).group(1)
    assert re.search(rf"useradd [^\n]*--uid 10001 {user}\b", dockerfile)
    owned = re.findall(rf"chown -R {user} (\S+)", dockerfile)
    created = set(re.findall(r"/app/\S+", " ".join(re.findall(r"mkdir -p ([^\n&\\]+)", dockerfile))))
    for mount in _named_volumes("web"):
        assert any(mount == path or mount.startswith(path.rstrip("/") + "/") for path in owned), mount
        # `mkdir -p` of a folder inside it makes the mount point too.
        assert any(path == mount or path.startswith(mount.rstrip("/") + "/") for path in created), mount
    # The roots themselves exist in the image, so that the copy holds them already owned by the user.
    for path in _container_roots("web").values():
        assert path in created, path


def test_the_image_has_postgresql_clients_as_recent_as_the_compose_server():
    """pg_dump refuses a server of a later major version: Debian 12 (bookworm) ships version 15."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"apt-get install[^\n]*(\n\s+[^\n]*)*postgresql-client\b", dockerfile)
    debian_clients = {"bookworm": 15}
    release = re.search(r"^FROM python:[\d.]+-slim-(\w+)", dockerfile, re.MULTILINE).group(1)
    server = int(re.match(r"postgis/postgis:(\d+)-", COMPOSE["services"]["db"]["image"]).group(1))
    assert debian_clients[release] >= server
