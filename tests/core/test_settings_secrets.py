"""Secrets may come from files (`NAME_FILE`), as Docker and Kubernetes secrets are mounted."""

import subprocess
import sys

PRINT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(repr(s.SECRET_KEY)); print(s.DATABASES['default']['PASSWORD'])"
)


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "mineaction.settings.production",
        "DJANGO_READ_DOT_ENV_FILE": "False",
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", PRINT], env={**base, **env}, capture_output=True, text=True, check=False
    )


def test_secrets_are_read_from_files_without_their_final_newline(tmp_path):
    key, url = tmp_path / "secret_key", tmp_path / "database_url"
    key.write_text("k" * 60 + "\n")
    url.write_text("postgis://mineaction:s3cret-pass@db:5432/mineaction\n")
    run = _settings_with({"SECRET_KEY_FILE": str(key), "DATABASE_URL_FILE": str(url)})
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [repr("k" * 60), "s3cret-pass"]


def test_a_missing_secret_stops_start_up_naming_it():
    run = _settings_with({})
    assert run.returncode != 0
    assert "SECRET_KEY" in run.stderr
