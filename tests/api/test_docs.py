"""docs/api.md runs: every `sh` and `python` block of the partner guide, in order, against a live server.

A block that exits non-zero fails the test, so the guide cannot drift from the API. Each block is a new
process (bash -euo pipefail, or this venv's python) that reaches the live server over HTTP, with
API, TOKEN, USERNAME, PASSWORD and COLLEAGUE_TOKEN in its environment. A python block that opens with
`# <name>.py:` is a file the guide asks the reader to save: it is written under that name (and run), so
later blocks import it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from accounts.models import Profile
from accounts.roles import PARTNER_DATA_MANAGER
from core.models import RecordStatus
from hazards.services import hazard_area_create
from incidents.models import Incident
from incidents.services import incident_create
from reference.models import Organisation
from tests.geo import GAO, MOPTI, point, square

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
SAVED_FILE = re.compile(r"\A# (?P<name>[\w-]+\.py)\b")
PASSWORD = "Sévaré-2024!"


def guide_blocks() -> list[tuple[int, str, str]]:
    """(line in the guide, language, code) of every sh and python block, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 1, match["lang"], match["code"])
        for match in FENCE.finditer(text)
        if match["lang"] in ("sh", "python")
    ]


def test_the_guide_has_examples_in_both_languages():
    languages = [lang for _, lang, _ in guide_blocks()]
    assert languages.count("sh") >= 8
    assert languages.count("python") >= 8


def _member(django_user_model, username: str, organisation: Organisation, password: str = PASSWORD):
    user = django_user_model.objects.create_user(username, password=password)
    Profile.objects.create(user=user, organisation=organisation)
    user.groups.add(Group.objects.get(name=PARTNER_DATA_MANAGER))
    return user


def _approved_incident(user, organisation, date, lon_lat, device, casualties) -> Incident:
    incident = incident_create(
        user=user,
        organisation=organisation,
        data={
            "incident_class": "improvised",
            "incident_date": date,
            "location": point(lon_lat),
            "device_category_reported": device,
            "how_activated": "unknown",
        },
        casualties=casualties,
    )
    # The approval workflow is not part of the API: only the state matters here.
    Incident.objects.filter(pk=incident.pk).update(status=RecordStatus.APPROVED)
    return incident


@pytest.fixture
def national_database(django_user_model):
    """Mali's reference data; partner HI's data manager and a colleague; some national data."""
    # Transactional tests start from empty tables: load Mali again.
    call_command("load_reference_data", verbosity=0)
    hi = Organisation.objects.get(acronym="HI")
    drc = Organisation.objects.get(acronym="DRC")
    amadou = _member(django_user_model, "amadou", hi)
    binta = _member(django_user_model, "binta", hi)
    charlie = _member(django_user_model, "charlie", drc, password="pw-charlie-42")

    male, female = {"outcome": "killed", "sex": "male", "age": 41}, {"outcome": "injured", "sex": "female", "age": 9}
    _approved_incident(binta, hi, "2023-02-10", MOPTI, "improvised_ap_mine", [male, female])
    _approved_incident(charlie, drc, "2023-07-04", GAO, "other_ied", [male, {**male, "age": 22}])
    # DRC's draft: partner HI never sees it (section 3 checks lists hold no one else's drafts).
    incident_create(
        user=charlie,
        organisation=drc,
        data={
            "incident_class": "uxo_axo",
            "incident_date": "2024-01-05",
            "device_category_reported": "uxo",
            "location": point(MOPTI),
        },
        casualties=[female],
    )
    hazard_area_create(
        user=charlie,
        organisation=drc,
        data={
            "land_class": "sha",
            "evidence": "indirect",
            "survey_date": "2023-11-20",
            "contamination_types": ["uxo"],
            "geometry": square(GAO),
        },
    )
    Token.objects.create(user=amadou)
    return amadou, Token.objects.create(user=binta).key


def _run(block_number: int, line: int, lang: str, code: str, workdir: Path, env: dict) -> None:
    saved = SAVED_FILE.match(code) if lang == "python" else None
    name = saved["name"] if saved else f"block_{block_number:02d}_line_{line}.{'py' if lang == 'python' else 'sh'}"
    script = workdir / name
    script.write_text(code, encoding="utf-8")
    command = [sys.executable, script.name] if lang == "python" else ["bash", "-euo", "pipefail", script.name]
    result = subprocess.run(  # noqa: S603 - the guide's own examples, run on purpose
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    print(f"--- docs/api.md line {line} ({lang}) ---\n{result.stdout}")
    assert result.returncode == 0, (
        f"docs/api.md, {lang} block at line {line} exited {result.returncode}\n"
        f"--- code ---\n{code}--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


@pytest.fixture
def authority_token(national_database, django_user_model):
    """An information management officer of the authority: the guide's bulk approval (section 10)."""
    from accounts.roles import IM_OFFICER

    officer = django_user_model.objects.create_user("awa", password=PASSWORD)
    Profile.objects.create(user=officer, organisation=Organisation.objects.get(acronym="CNLPAL"))
    officer.groups.add(Group.objects.get(name=IM_OFFICER))
    return Token.objects.create(user=officer).key


@pytest.mark.django_db(transaction=True)
def test_every_example_of_the_guide_runs(live_server, national_database, authority_token, tmp_path, settings):
    # Section 11's file is kept where the test's files go.
    settings.IMPORT_ROOT = tmp_path / "imports"
    amadou, colleague_token = national_database
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower() and key != "CURL_HOME"}
    env.update(
        API=f"{live_server.url}/api/v1",
        USERNAME=amadou.username,
        PASSWORD=PASSWORD,
        COLLEAGUE_TOKEN=colleague_token,
        AUTHORITY_TOKEN=authority_token,
        PYTHONDONTWRITEBYTECODE="1",
        NO_PROXY="*",
    )
    blocks = guide_blocks()
    assert blocks, "no sh or python block in docs/api.md"
    for number, (line, lang, code) in enumerate(blocks, 1):
        # $TOKEN is the partner's current key: section 1 revokes it and obtains a new one.
        env["TOKEN"] = Token.objects.filter(user=amadou).values_list("key", flat=True).first() or ""
        _run(number, line, lang, code, tmp_path, env)
