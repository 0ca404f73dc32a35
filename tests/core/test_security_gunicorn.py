"""The headers an attacker meets at the real door: gunicorn as deployed (gunicorn.conf.py, production
settings) on a port of its own, against the test database, asked over HTTP as the TLS proxy does."""

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.workers import database_url

ROOT = Path(django_settings.BASE_DIR)
GUNICORN = Path(sys.executable).with_name("gunicorn")
PASSWORD = "Tombouctou-2026!"
# What the TLS proxy adds to every request it passes on.
VIA_PROXY = {"X-Forwarded-Proto": "https"}

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(django_user_model, settings):
    """gunicorn with the production settings, started as compose starts it, stopped at the end."""
    # Hashed as production checks it (the test settings hash with MD5, which production refuses).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    django_user_model.objects.create_user("awa.officer", password=PASSWORD)
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "mineaction.settings.production",
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "WEB_WORKERS": "1",
        "WEB_THREADS": "2",
    }
    process = subprocess.Popen(  # noqa: S603
        [str(GUNICORN), "mineaction.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        for _ in range(60):
            if process.poll() is not None:
                pytest.fail(f"gunicorn stopped: {process.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _ask(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.body = response.read().decode(errors="replace")
    conn.close()
    return response


def _cookies(response) -> dict[str, str]:
    """Each cookie set by the answer, by name, with its attributes as the browser reads them."""
    return {line.split("=", 1)[0]: line for line in response.msg.get_all("Set-Cookie") or []}


def _policy(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def test_the_server_answers_through_the_proxy_with_the_security_headers_and_no_banner(server):
    for path in ("/healthz/", "/accounts/login/"):
        response = _ask(server, "GET", path, VIA_PROXY)

        assert response.status in ({200, 503} if path == "/healthz/" else {200}), (path, response.status)
        banner = response.getheader("Server", "")
        assert "gunicorn" not in banner.lower(), banner
        assert not re.search(r"\d", banner), banner
        assert response.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert response.getheader("Referrer-Policy") == "same-origin"
        assert response.getheader("Cross-Origin-Opener-Policy") == "same-origin"
        assert response.getheader("X-Frame-Options") == "DENY"
        policy = _policy(response.getheader("Content-Security-Policy"))
        assert policy["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in policy["script-src"]


def test_a_login_through_the_proxy_sets_secure_cookies_and_an_http_only_session(server):
    form = _ask(server, "GET", "/accounts/login/", VIA_PROXY)
    csrf_line = _cookies(form)["csrftoken"]
    token = SimpleCookie(csrf_line)["csrftoken"].value
    origin = f"https://127.0.0.1:{server}"

    login = _ask(
        server,
        "POST",
        "/accounts/login/",
        {
            **VIA_PROXY,
            "Cookie": f"csrftoken={token}",
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        f"csrfmiddlewaretoken={token}&username=awa.officer&password={PASSWORD}",
    )

    assert login.status == 302, re.findall(r"errorlist.{0,300}", login.body)
    assert login.getheader("Location") == "/"
    cookies = _cookies(login)
    attributes = {name: [part.strip().lower() for part in line.split(";")[1:]] for name, line in cookies.items()}
    assert "secure" in attributes["sessionid"]
    assert "httponly" in attributes["sessionid"]
    assert "secure" in attributes["csrftoken"]
    assert "httponly" in attributes["csrftoken"]
    assert "secure" in [part.strip().lower() for part in csrf_line.split(";")[1:]]


def test_plain_http_is_sent_to_https_except_the_healthcheck(server):
    page = _ask(server, "GET", "/accounts/login/")
    health = _ask(server, "GET", "/healthz/")

    assert page.status == 301
    assert page.getheader("Location") == f"https://127.0.0.1:{server}/accounts/login/"
    assert health.status in {200, 503}
    assert health.getheader("Location") is None
