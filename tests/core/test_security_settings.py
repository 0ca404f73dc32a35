"""The production settings pass Django's deployment checks, and every answer carries the
Content-Security-Policy, in the test settings as in production."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _production(*args: str, **environ: str) -> subprocess.CompletedProcess:
    # A fresh interpreter with only what a deployment passes: settings are read once per process.
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "mineaction.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_READ_DOT_ENV_FILE": "False",
        **environ,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), *args], cwd="/", env=env, capture_output=True, text=True, check=False
    )


def test_the_production_settings_pass_the_deployment_checks_without_a_warning():
    result = _production("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_a_deployment_that_asks_for_the_preload_list_gets_it_and_still_passes():
    script = "from django.conf import settings as s; print(s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_SECONDS)"

    result = _production("shell", "-v", "0", "-c", script, SECURE_HSTS_PRELOAD="True", SECURE_HSTS_SECONDS="63072000")
    checked = _production("check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_PRELOAD="True")

    assert result.stdout.split() == ["True", "63072000"], result.stderr
    assert checked.returncode == 0, checked.stderr


def test_switching_the_https_redirect_off_is_reported_by_the_deployment_checks():
    result = _production("check", "--deploy", "--fail-level", "WARNING", SECURE_SSL_REDIRECT="False")

    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", []),
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://tile.openstreetmap.org"]),
        ("https://{a-c}.tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://*.tile.openstreetmap.org"]),
        ("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png", ["http://127.0.0.1:8081"]),
    ],
)
def test_map_tiles_may_come_from_the_origin_of_map_tile_url(url, source):
    from mineaction.settings.base import _tile_source

    assert _tile_source(url) == source


def test_a_tile_url_that_csp_cannot_name_stops_start_up():
    result = _production("check", MAP_TILE_URL="https://tiles.{a-c}.example.org/{z}/{x}/{y}.png")

    assert result.returncode != 0
    assert "MAP_TILE_URL must be an http(s) URL whose host is fixed" in result.stderr


def test_the_tile_origin_is_in_img_src_of_the_production_policy():
    script = "from django.conf import settings as s; print(*s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"

    result = _production(
        "shell", "-v", "0", "-c", script, MAP_TILE_URL="https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    )

    assert result.stdout.split() == ["'self'", "data:", "https://tile.openstreetmap.org"], result.stderr


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/docs/", "/healthz/"])
def test_every_answer_carries_a_policy_without_inline_script(client, path):
    response = client.get(path)

    policy = _policy(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]


def test_swagger_ui_loads_its_start_up_script_from_the_site(client, officer):
    client.force_login(officer)

    page = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    assert '<script src="/api/docs/?script="></script>' in page
    assert "<script>" not in page
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "/api/schema/" in script.content.decode()
