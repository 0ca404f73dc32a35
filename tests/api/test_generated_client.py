"""A client generated from docs/openapi.yaml by openapi-python-client writes and reads through the real API.

Partners generate their clients from the published description: this test does the same, in a temporary
directory, from whatever docs/openapi.yaml holds now, and drives the live server only through the generated
`sync_detailed` functions and model classes. A body, header or response the description gets wrong fails
here, at generation (the generator's warnings are errors), at serialisation, or when the answer is parsed.
"""

import datetime
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts import roles
from accounts.models import Profile
from reference.models import Organisation
from tests.geo import MOPTI

SCHEMA = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
PACKAGE = "mineaction_client"
PASSWORD = "pw-alice-42"


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory):
    """The package openapi-python-client writes from the committed description, imported."""
    workdir = tmp_path_factory.mktemp("generated")
    config = workdir / "generator.yaml"
    # No post hooks: formatting the generated code with ruff is not what is under test, and costs seconds.
    config.write_text("post_hooks: []\n")
    result = subprocess.run(  # noqa: S603 - the generator of this venv, on the committed description
        [
            sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SCHEMA),
            "--config", str(config), "--meta", "none", "--output-path", str(workdir / PACKAGE),
            "--fail-on-warning",
        ],
        cwd=workdir, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    # A construct the generator cannot express is a warning: a gap in every partner's client.
    assert result.returncode == 0, f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}"
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_every_operation_of_the_description_has_a_typed_function(generated_client):
    schema = yaml.safe_load(SCHEMA.read_text())
    operations = [operation for path_item in schema["paths"].values() for operation in path_item.values()]
    assert len(operations) > 50
    # One media type per body: generated code sends any other offered (a form, multipart) instead of JSON.
    # JSON everywhere, except the one body that carries a file (an import), multipart.
    bodies = {op["operationId"]: set(op["requestBody"]["content"]) for op in operations if "requestBody" in op}
    assert all(len(media) == 1 for media in bodies.values())
    assert {name for name, media in bodies.items() if media != {"application/json"}} == {"imports_create"}
    assert bodies["imports_create"] == {"multipart/form-data"}
    missing = []
    for operation in operations:
        # The generator groups functions by tag, in modules named after the operationId.
        dotted = f"{PACKAGE}.api.{operation['tags'][0].replace('-', '_')}.{operation['operationId']}"
        try:
            module = importlib.import_module(dotted)
        except ModuleNotFoundError:
            missing.append(dotted)
            continue
        if not callable(getattr(module, "sync_detailed", None)):
            missing.append(dotted)
    assert missing == []
    # Every generated module imports: none refers to a class the generator left out.
    for info in pkgutil.walk_packages(generated_client.__path__, f"{PACKAGE}."):
        importlib.import_module(info.name)


@pytest.fixture
def alice(django_user_model):
    """Partner A's (HI) data manager, in a database that transactional tests start empty."""
    call_command("load_reference_data", verbosity=0)
    user = django_user_model.objects.create_user("alice", password=PASSWORD)
    Profile.objects.create(user=user, organisation=Organisation.objects.get(acronym="HI"))
    user.groups.add(Group.objects.get(name=roles.PARTNER_DATA_MANAGER))
    return user


def _module(package, dotted: str):
    return importlib.import_module(f"{package.__name__}.{dotted}")


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_reports_an_incident_end_to_end(live_server, generated_client, alice):
    client_module = _module(generated_client, "client")
    models = _module(generated_client, "models")
    auth_token_create = _module(generated_client, "api.auth.auth_token_create")
    incidents_create = _module(generated_client, "api.incidents.incidents_create")
    incidents_retrieve = _module(generated_client, "api.incidents.incidents_retrieve")
    incidents_external_update = _module(generated_client, "api.incidents.incidents_external_update")
    incidents_submit_create = _module(generated_client, "api.incidents.incidents_submit_create")

    # The token comes from the API itself, as a partner's script gets it: a JSON body of credentials.
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    answer = auth_token_create.sync_detailed(
        client=anonymous, body=models.CredentialsRequest(username="alice", password=PASSWORD)
    )
    assert answer.status_code == 201, answer.content
    assert isinstance(answer.parsed, models.ApiToken)
    assert (answer.parsed.username, answer.parsed.organisation) == ("alice", "HI")
    api = client_module.AuthenticatedClient(
        base_url=live_server.url,
        token=answer.parsed.token,
        prefix="Token",
        headers={"Accept-Language": "en"},
        raise_on_unexpected_status=True,
    )

    lon, lat = MOPTI
    killed = models.NestedCasualtyRequest(
        outcome=models.CasualtyOutcomeEnum.KILLED,
        sex=models.SexEnum.MALE,
        age=41,
        civilian_status=models.CivilianStatusEnum.CIVILIAN,
        external_id="HI-2024-INC-017-C1",
    )
    injured = models.NestedCasualtyRequest(
        outcome=models.CasualtyOutcomeEnum.INJURED,
        sex=models.SexEnum.FEMALE,
        age=9,
        civilian_status=models.CivilianStatusEnum.CIVILIAN,
        injuries=[models.InjuriesEnum.LOWER_LIMB_AMPUTATION],
        injury_description="Left leg below the knee.",
        identity=models.CasualtyIdentityRequest(full_name="Fatoumata Traoré"),
        external_id="HI-2024-INC-017-C2",
    )
    report = models.IncidentRequest(
        external_id="HI-2024-INC-017",
        incident_class=models.IncidentClassEnum.IMPROVISED,
        incident_date=datetime.date(2024, 3, 15),
        location=models.GeoJSONPoint(type_=models.GeoJSONPointType.POINT, coordinates=[lon, lat]),
        device_category_reported=models.OrdnanceCategoryEnum.IMPROVISED_AV_MINE,
        how_activated=models.HowActivatedEnum.STEPPED_ON,
        description="Herders' path north of Sévaré.",
        casualties=[killed, injured],
    )

    # --- create the incident with both casualties, in one JSON request ---------------------------
    created = incidents_create.sync_detailed(client=api, body=report)
    assert created.status_code == 201, created.content
    incident = created.parsed
    assert isinstance(incident, models.Incident)
    assert created.headers["ETag"] == f'"{incident.version}"' == '"1"'
    assert created.headers["Location"] == f"{live_server.url}/api/v1/incidents/{incident.id}/"
    assert (incident.external_id, incident.organisation, incident.status) == (
        "HI-2024-INC-017", "HI", models.RecordStatusEnum.DRAFT,
    )  # fmt: skip
    assert (incident.incident_class, incident.incident_date) == (
        models.IncidentClassEnum.IMPROVISED, datetime.date(2024, 3, 15),
    )  # fmt: skip
    # The location comes back as the same GeoJSON model, in the région of Mopti derived from it.
    assert isinstance(incident.location, models.GeoJSONPoint)
    assert (incident.location.type_, incident.location.coordinates) == (models.GeoJSONPointType.POINT, [lon, lat])
    assert incident.admin_area == "ML05"
    # Mali rule: an improvised anti-vehicle mine stepped on by a person counts as an anti-personnel one.
    assert incident.device_category == models.OrdnanceCategoryEnum.IMPROVISED_AP_MINE
    assert incident.device_category_reported == models.OrdnanceCategoryEnum.IMPROVISED_AV_MINE
    assert incident.sources == []
    assert [
        (c.external_id, c.outcome, c.sex, c.age, c.age_group, c.civilian_status, c.injuries, c.injury_description)
        for c in incident.casualties
    ] == [
        ("HI-2024-INC-017-C1", models.CasualtyOutcomeEnum.KILLED, models.SexEnum.MALE, 41, models.AgeGroupEnum.ADULT,
         models.CivilianStatusEnum.CIVILIAN, [], ""),
        ("HI-2024-INC-017-C2", models.CasualtyOutcomeEnum.INJURED, models.SexEnum.FEMALE, 9, models.AgeGroupEnum.CHILD,
         models.CivilianStatusEnum.CIVILIAN, [models.InjuriesEnum.LOWER_LIMB_AMPUTATION], "Left leg below the knee."),
    ]  # fmt: skip
    # Every field the server sent is one the description names: nothing lands in the catch-all.
    assert incident.additional_properties == {}
    assert [c.additional_properties for c in incident.casualties] == [{}, {}]

    # A retried POST (same external_id) answers 200 with the first record, not a second incident.
    retried = incidents_create.sync_detailed(client=api, body=report)
    assert retried.status_code == 200, retried.content
    assert (retried.parsed.id, retried.headers["ETag"]) == (incident.id, '"1"')

    # --- read it back -----------------------------------------------------------------------------
    read = incidents_retrieve.sync_detailed(incident.id, client=api)
    assert read.status_code == 200, read.content
    assert read.parsed == incident
    assert read.headers["ETag"] == '"1"'
    # The ETag as If-None-Match: 304, no body, which the generated code parses as nothing.
    fresh = incidents_retrieve.sync_detailed(incident.id, client=api, if_none_match=read.headers["ETag"])
    assert (fresh.status_code, fresh.content, fresh.parsed, fresh.headers["ETag"]) == (304, b"", None, '"1"')

    # --- upsert by external_id: once creating a record, once updating this one with If-Match -------
    other = models.IncidentRequest(
        incident_class=models.IncidentClassEnum.UXO_AXO,
        incident_date=datetime.date(2024, 4, 2),
        location=models.GeoJSONPoint(type_=models.GeoJSONPointType.POINT, coordinates=[lon, lat]),
        device_category_reported=models.OrdnanceCategoryEnum.UXO,
        casualties=[models.NestedCasualtyRequest(outcome=models.CasualtyOutcomeEnum.INJURED, age=15)],
    )
    upserted = incidents_external_update.sync_detailed("HI-2024-INC-018", client=api, body=other)
    assert upserted.status_code == 201, upserted.content
    assert isinstance(upserted.parsed, models.Incident)
    assert upserted.parsed.id != incident.id
    assert (upserted.parsed.external_id, upserted.parsed.device_category, upserted.headers["ETag"]) == (
        "HI-2024-INC-018", models.OrdnanceCategoryEnum.UXO, '"1"',
    )  # fmt: skip
    assert [(c.outcome, c.age, c.age_group) for c in upserted.parsed.casualties] == [
        (models.CasualtyOutcomeEnum.INJURED, 15, models.AgeGroupEnum.CHILD)
    ]
    assert upserted.headers["Location"] == f"{live_server.url}/api/v1/incidents/{upserted.parsed.id}/"

    # Casualties change through their own endpoint: the update sends the incident's fields only.
    correction = models.IncidentRequest(
        incident_class=models.IncidentClassEnum.IMPROVISED,
        incident_date=datetime.date(2024, 3, 14),
        location=models.GeoJSONPoint(type_=models.GeoJSONPointType.POINT, coordinates=[lon, lat]),
        device_category_reported=models.OrdnanceCategoryEnum.IMPROVISED_AV_MINE,
        how_activated=models.HowActivatedEnum.STEPPED_ON,
        description="Herders' path north of Sévaré; the date was the day before.",
    )
    stale = incidents_external_update.sync_detailed("HI-2024-INC-017", client=api, body=correction, if_match='"7"')
    assert stale.status_code == 412, stale.content
    assert isinstance(stale.parsed, models.ErrorDetail)
    updated = incidents_external_update.sync_detailed(
        "HI-2024-INC-017", client=api, body=correction, if_match=read.headers["ETag"]
    )
    assert updated.status_code == 200, updated.content
    assert (updated.parsed.id, updated.parsed.version, updated.headers["ETag"]) == (incident.id, 2, '"2"')
    assert (updated.parsed.incident_date, updated.parsed.description) == (
        datetime.date(2024, 3, 14), "Herders' path north of Sévaré; the date was the day before.",
    )  # fmt: skip
    assert len(updated.parsed.casualties) == 2

    # --- submit it, then read it as submitted -----------------------------------------------------
    submitted = incidents_submit_create.sync_detailed(
        incident.id, client=api, body=models.TransitionRequest(), if_match=updated.headers["ETag"]
    )
    assert submitted.status_code == 200, submitted.content
    assert (submitted.parsed.status, submitted.headers["ETag"]) == (models.RecordStatusEnum.SUBMITTED, '"3"')
    final = incidents_retrieve.sync_detailed(incident.id, client=api)
    assert final.status_code == 200, final.content
    assert (final.parsed.status, final.parsed.version, final.parsed.status_reason) == (
        models.RecordStatusEnum.SUBMITTED, 3, "",
    )  # fmt: skip
    assert final.parsed.incident_date == datetime.date(2024, 3, 14)
    assert [(c.id, c.outcome, c.age) for c in final.parsed.casualties] == [
        (incident.casualties[0].id, models.CasualtyOutcomeEnum.KILLED, 41),
        (incident.casualties[1].id, models.CasualtyOutcomeEnum.INJURED, 9),
    ]
