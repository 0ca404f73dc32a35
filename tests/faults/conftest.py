"""A PostgreSQL cluster of the tests' own, in a temporary folder and on a free port, that a test may
restart or stop; and gunicorn serving the application on it as in production (gunicorn.conf.py:
gthread, the connection pool on). The machine's shared PostgreSQL is only read, once, for its schema.

The cluster starts from a dump of the test database (schema, migrations' rows: roles, content types)
and the country's reference data loaded by its command: 0.6 s and 2 s, against 34 s for `migrate` and the same load."""

# The tests' own commands and PostgreSQL's programs, with arguments of their own making.
# ruff: noqa: S603, S607
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PROJECT = Path(__file__).resolve().parents[2]
# Tests run as root; PostgreSQL refuses to run as root.
AS_POSTGRES = ["runuser", "-u", "postgres", "--"]
DATABASE = "faults"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgis://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def pg_ctl(self, *args: str, timeout: float = 60) -> float:
        """Runs pg_ctl (waiting for it to finish); answers the seconds it took."""
        started = time.monotonic()
        subprocess.run(
            [*AS_POSTGRES, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
             "-w", "-t", str(int(timeout)), *args],
            check=True, capture_output=True, timeout=timeout + 10,
        )  # fmt: skip
        return time.monotonic() - started

    def start(self) -> float:
        # Unix socket in the cluster's own folder: never the shared server's /var/run/postgresql.
        return self.pg_ctl("start", "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1")

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=DATABASE, autocommit=True)

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()


def _restore_schema(cluster: Cluster) -> None:
    """The test database's schema and rows, dumped from the shared server into the private one.
    pg_dump empties the search_path for the restore, where the PostGIS `=` of a history trigger's
    WHEN clause no longer resolves: the restore runs with `public` on it."""
    source = connection.settings_dict["NAME"]
    shared = connection.settings_dict
    subprocess.run(
        [*AS_POSTGRES, str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), DATABASE], check=True
    )
    dump = subprocess.run(
        ["pg_dump", "-h", shared["HOST"] or "127.0.0.1", "-p", str(shared["PORT"] or 5432), "-U", "postgres",
         "--no-owner", "--no-acl", source],
        check=True, capture_output=True,
    )  # fmt: skip
    script = dump.stdout.replace(b"set_config('search_path', '', false)", b"set_config('search_path', 'public', false)")
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-d", DATABASE, "-q",
         "-v", "ON_ERROR_STOP=1", "-o", os.devnull],
        input=script, check=True, capture_output=True,
    )  # fmt: skip


def app_environment(cluster: Cluster, **extra: str) -> dict[str, str]:
    """The production settings, on the private cluster, with the tests' own Redis databases."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mineaction.settings.production",
        "DATABASE_URL": cluster.url,
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_BROKER_URL,
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The stream of requests is far above a partner's hourly quota.
        "API_THROTTLE_USER": "1000000/hour",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


# Who sends the requests: an authority officer reads, a partner's data manager reports incidents.
PEOPLE_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from accounts import roles
from accounts.models import Profile
from django.contrib.auth.models import Group
from reference.models import Organisation

def member(username, acronym, role):
    user = get_user_model().objects.create_user(username, password=f"pw-{username}-42", is_staff=True)
    Profile.objects.create(user=user, organisation=Organisation.objects.get(acronym=acronym))
    user.groups.add(Group.objects.get(name=role))
    return user

officer = member("awa", "CNLPAL", roles.IM_OFFICER)
alice = member("alice", "HI", roles.PARTNER_DATA_MANAGER)
session = SessionStore()
session["_auth_user_id"] = str(officer.pk)
session["_auth_user_backend"] = "accounts.backends.AccountBackend"
session["_auth_user_hash"] = officer.get_session_auth_hash()
session.create()
print(json.dumps({"officer": Token.objects.create(user=officer).key, "alice": Token.objects.create(user=alice).key,
                  "officer_session": session.session_key}))
"""


@dataclass
class Stack:
    cluster: Cluster
    base_url: str
    tokens: dict[str, str]
    officer_session: str
    log: Path
    setup_seconds: float


def _manage(cluster: Cluster, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=app_environment(cluster),
        input=stdin, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return done.stdout


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log.read_text()[-3000:]}")
        try:
            requests.get(f"{url}/healthz", timeout=5, headers={"X-Forwarded-Proto": "https"})
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 60 s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def private_stack(django_db_setup, django_db_blocker):
    """The private cluster with the schema, reference data and two people, and gunicorn on it.
    Everything started here is stopped in the `finally`, whatever failed."""
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="mineaction-faults-"))
    shutil.chown(folder, user="postgres")
    cluster = Cluster(folder, free_port())
    gunicorn = None
    log = folder / "gunicorn.log"
    running = False
    try:
        subprocess.run(
            [*AS_POSTGRES, str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )  # fmt: skip
        cluster.start()
        running = True
        with django_db_blocker.unblock():
            _restore_schema(cluster)
        _manage(cluster, "load_reference_data", "-v0")
        people = json.loads(_manage(cluster, "shell", "-c", PEOPLE_SCRIPT).strip().splitlines()[-1])
        port = free_port()
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "mineaction.wsgi", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "--error-logfile", "-"],
            cwd=PROJECT, env=app_environment(cluster, WEB_WORKERS="2", WEB_THREADS="4"),
            stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_serving(base_url, gunicorn, log)
        yield Stack(
            cluster=cluster,
            base_url=base_url,
            tokens={"officer": people["officer"], "alice": people["alice"]},
            officer_session=people["officer_session"],
            log=log,
            setup_seconds=time.monotonic() - started,
        )
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait()
        if running or (cluster.data / "postmaster.pid").exists():
            subprocess.run(
                [*AS_POSTGRES, str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w", "stop"],
                capture_output=True, timeout=60,
            )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
