"""bandit as `make lint` runs it ([tool.bandit] in pyproject.toml): no finding that is not justified
beside its line, and every justification names the check it silences and says why."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["bandit"]
# `# nosec B608 # why`: the checks it silences, then a reason of some words.
JUSTIFIED = re.compile(r"#\s*nosec\s+B\d{3}(?:\s*,\s*B\d{3})*\s+#\s+\S.{15,}")


def _bandit(*targets: str) -> dict:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-r", *targets, "-q", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    report["returncode"] = result.returncode
    return report


def _scanned() -> list[Path]:
    excluded = {ROOT / name for name in CONFIG["exclude_dirs"]}
    return [
        path
        for path in ROOT.rglob("*.py")
        if not any(path.is_relative_to(folder) for folder in excluded) and ".venv" not in path.parts
    ]


def test_bandit_finds_nothing_unjustified_in_what_runs_on_a_server():
    report = _bandit(".")

    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert findings == []
    assert report["errors"] == []
    assert report["returncode"] == 0
    # The apps were read: the justified findings are counted as skipped, not missed.
    assert report["metrics"]["_totals"]["loc"] > 20_000
    assert report["metrics"]["_totals"]["skipped_tests"] >= 20


def test_every_kept_finding_names_its_check_and_says_why():
    bare = []
    for path in _scanned():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"#\s*nosec\b", line) and not JUSTIFIED.search(line):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")

    assert bare == []


def test_an_unjustified_finding_fails_the_same_run(tmp_path):
    unsafe = tmp_path / "unsafe.py"
    unsafe.write_text(
        "def count(cursor, table):\n"
        '    cursor.execute(f"SELECT count(*) FROM {table} WHERE id = 1")\n'
        '    cursor.execute(f"SELECT count(*) FROM {table} WHERE id = 2")  # nosec B608 # our own table name\n'
    )

    report = _bandit(str(unsafe))

    assert report["returncode"] == 1
    assert [(r["test_id"], r["line_number"]) for r in report["results"]] == [("B608", 2)]
