"""Backup and restore on the real PostgreSQL and real files. Records are written through the services
(their history rows by pghistory's triggers), with an export's file, an import's upload and a field
photo; the backup is restored into another, new database and other folders, then compared with the
source table by table (row count and content), sequence by sequence and file by file."""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from field.xlsforms import form_build
from hazards.services import hazard_area_create
from incidents.models import Casualty
from incidents.services import casualty_identity_set, incident_create, incident_update
from reports.models import Export
from reports.services import export_request, export_write
from tests.field.odk_helpers import PHOTO, basic, instance, new_instance_id, post_submission, submission_parts
from tests.field.odk_helpers import point as odk_point
from tests.geo import GAO, MOPTI, point, square

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
ROOTS = ("EXPORT_ROOT", "IMPORT_ROOT", "FIELD_ATTACHMENT_ROOT")
# The superuser of the local server (scripts/setup.sh reaches it the same way): it creates and drops
# the databases of these tests, and creates extensions in one made from template0.
ADMIN = "postgres"


# --- Databases, folders and the commands as an operator runs them --------------------------------


def _server() -> dict:
    conf = connection.settings_dict
    return {"host": conf["HOST"] or "127.0.0.1", "port": str(conf["PORT"] or 5432)}


def _admin(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(**_server(), user=ADMIN, dbname=dbname, autocommit=True)


@pytest.fixture
def new_database():
    """New databases, made as an operator would (from template0: not even PostGIS; or from template1,
    which holds the extensions), dropped afterwards."""
    made = []

    def make(*, template: str, owner: str) -> str:
        name = f"test_h_backup_restored_{uuid.uuid4().hex[:8]}"
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE {template} OWNER "{owner}"')
        made.append(name)
        return name

    yield make
    with _admin() as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(database: str, user: str) -> str:
    conf = connection.settings_dict
    password = conf["PASSWORD"] if user == conf["USER"] else ""
    credentials = f"{user}:{password}" if password else user
    return f"postgis://{credentials}@{_server()['host']}:{_server()['port']}/{database}"


def _environment(database: str, user: str, folders: Path) -> dict[str, str]:
    """What the commands read in a process of their own: these settings, another database and other folders."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mineaction.settings.test",
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "DATABASE_URL": _url(database, user),
        **{name: str(folders / name.lower()) for name in ROOTS},
    }


def _run(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        arguments, cwd=ROOT, env=environment, capture_output=True, text=True, check=False, timeout=300
    )


def _restore(backup: Path, database: str, user: str, folders: Path, *flags: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "manage.py", "restore", str(backup), *flags], _environment(database, user, folders))


# --- What is compared --------------------------------------------------------------------------


def _tables(database: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and the MD5 of its rows as text, in order (extensions' tables too)."""
    with _admin(database) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        names = [
            name
            for (name,) in conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            )
        ]
        return {
            name: conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {name} AS t"  # noqa: S608
            ).fetchone()
            for name in names
        }


def _sequences(database: str) -> dict[str, int | None]:
    with _admin(database) as conn:
        return dict(conn.execute("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences").fetchall())


def _schema(database: str) -> dict[str, set]:
    """The triggers (pghistory's, pgtrigger's), indexes and constraints of the tables."""
    with _admin(database) as conn:
        return {
            "triggers": set(
                conn.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal")
            ),
            "indexes": set(conn.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")),
            "constraints": set(
                conn.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint")
            ),
        }


def _first_incident(database: str) -> int:
    with _admin(database) as conn:
        return conn.execute("SELECT min(id) FROM incidents_incident").fetchone()[0]


def _extensions(database: str) -> set[str]:
    with _admin(database) as conn:
        return {name for (name,) in conn.execute("SELECT extname FROM pg_extension")}


def _files(folders: dict[str, Path]) -> dict[str, str]:
    return {
        f"{name}/{path.relative_to(folder).as_posix()}": hashlib.sha256(path.read_bytes()).hexdigest()
        for name, folder in folders.items()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# --- The records -------------------------------------------------------------------------------


@pytest.fixture
def source_folders(settings, tmp_path) -> dict[str, Path]:
    folders = {name: tmp_path / "source" / name.lower() for name in ROOTS}
    for name, folder in folders.items():
        setattr(settings, name, folder)
    return folders


@pytest.fixture
def country(transactional_db):
    """Transactional tests may start from an emptied database: the country, loaded again first."""
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def records(country, source_folders, officer, partner_user, partner_a, past):
    """Incidents with casualties and identities, edited once; a hazardous area; a finished export; an
    import's uploaded file; a field submission with its photo."""
    incident = incident_create(
        user=officer, organisation=partner_a,
        data={"incident_class": "improvised", "incident_date": past, "location": point(MOPTI),
              "device_category_reported": "improvised_av_mine", "how_activated": "stepped_on",
              "activity_at_time": "herding"},
        casualties=[
            {"outcome": "injured", "sex": "female", "age": 27,
             "identity": {"full_name": "Aminata Traoré", "date_of_birth": datetime.date(1996, 5, 2)}},
            {"outcome": "killed", "sex": "male", "age": 12},
        ],
    )  # fmt: skip
    incident_update(incident=incident, user=officer, data={"description": "Sur la piste du puits, à l'aube"})
    boy = Casualty.objects.get(incident=incident, age=12)
    casualty_identity_set(casualty=boy, user=officer, data={"full_name": "Oumar Cissé"})
    incident_create(
        user=officer, organisation=partner_a,
        data={"incident_class": "improvised", "incident_date": past - datetime.timedelta(days=40),
              "location": point(GAO), "device_category_reported": "improvised_av_mine", "how_activated": "vehicle",
              "activity_at_time": "travelling"},
        casualties=[{"outcome": "injured", "sex": "male", "age": 40}],
    )  # fmt: skip
    hazard_area_create(
        user=officer, organisation=partner_a,
        data={"land_class": "cha", "evidence": "direct", "contamination_types": ["improvised_ap_mines"],
              "survey_date": past, "geometry": square(MOPTI), "beneficiaries": 350},
    )  # fmt: skip

    export = export_request(user=officer, resource="incidents", format="csv")
    export_write(export_id=export.pk)
    assert Export.objects.get(pk=export.pk).status == Export.Status.DONE

    from field import services as imports

    imports.import_start(
        user=officer, organisation=partner_a, record_type="incidents", name="rapport été.csv",
        chunks=[b"external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude\n"
                b"HI-9,2024-02-03,improvised,improvised_av_mine,stepped_on,-4.19,14.49\n"],
    )  # fmt: skip

    body = (
        f"<incident_date>{past.isoformat()}</incident_date><date_precision>day</date_precision>"
        f"<incident_class>improvised</incident_class><location>{odk_point(*MOPTI)}</location>"
        "<device_category_reported>improvised_av_mine</device_category_reported><how_activated>stepped_on</how_activated>"
        "<activity_at_time>herding</activity_at_time><photo>1700000000000.jpg</photo>"
    )
    xml = instance("accident_report", form_build("accident_report").version, new_instance_id(), body)
    response = post_submission(
        Client(), basic("moussa.partner", "pw-partner-1"), submission_parts(xml, "1700000000000.jpg")
    )
    assert response.status_code == 201, response.content

    files = _files(source_folders)
    # The export's file; the upload, with the incidents its dry run accepted; the photo.
    assert sorted(key.split("/")[0] for key in files) == [
        "EXPORT_ROOT", "FIELD_ATTACHMENT_ROOT", "IMPORT_ROOT", "IMPORT_ROOT"
    ]  # fmt: skip
    assert files[next(k for k in files if k.startswith("FIELD_ATTACHMENT_ROOT/"))] == hashlib.sha256(PHOTO).hexdigest()
    return files


# --- Tests -------------------------------------------------------------------------------------


def test_a_backup_restored_into_a_new_database_and_folders_is_the_same_table_by_table_and_file_by_file(
    records, source_folders, new_database, tmp_path
):
    source = connection.settings_dict["NAME"]
    backup = tmp_path / "backup"
    made = _run(
        ["make", "backup", f"BACKUP_DIR={backup}"],
        _environment(source, connection.settings_dict["USER"], tmp_path / "source"),
    )
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert (backup / "database.dump").stat().st_size == manifest["database"]["size"]
    assert sorted(os.listdir(backup)) == ["database.dump", "files", "manifest.json"]
    # Casualty identities are in it: the folder is its owner's alone.
    assert (backup.stat().st_mode & 0o777) == 0o700

    expected = _tables(source)
    history = {name: figures for name, figures in expected.items() if name.endswith("event") or "pghistory" in name}
    assert history["public.incidents_incidentevent"][0] >= 3
    assert history["public.incidents_casualtyevent"][0] >= 3
    assert history["public.hazards_hazardareaevent"][0] >= 1
    assert expected["public.incidents_casualtyidentity"][0] == 2
    # The manifest's own figures are those of the source, for every table of ours.
    ours = {name: figures for name, figures in expected.items() if name != "public.spatial_ref_sys"}
    assert {name: figures["rows"] for name, figures in manifest["database"]["tables"].items()} == {
        name: rows for name, (rows, _md5) in ours.items()
    }
    assert {
        f"{name}/{relative}": described["sha256"]
        for name, root in manifest["files"].items()
        for relative, described in root["files"].items()
    } == records

    # A database made from template0 holds nothing, not even PostGIS: the restore creates the extensions.
    target = new_database(template="template0", owner=ADMIN)
    assert _extensions(target) == {"plpgsql"}
    restored = _run(["make", "restore", f"BACKUP={backup}"], _environment(target, ADMIN, tmp_path / "restored"))
    assert restored.returncode == 0, restored.stderr
    assert "match the manifest" in restored.stdout

    assert _extensions(target) == {"plpgsql", "postgis", "pg_trgm"}
    found = _tables(target)
    assert sorted(found) == sorted(expected)
    assert {name: rows for name, (rows, _md5) in found.items()} == {
        name: rows for name, (rows, _md5) in expected.items()
    }
    assert found == expected
    assert _sequences(target) == _sequences(source)
    schema = _schema(source)
    assert len(schema["triggers"]) > 20
    assert _schema(target) == schema
    # The history triggers work in the restored database: an edit there is recorded.
    with _admin(target) as conn:
        conn.execute("SET search_path = public")
        before = conn.execute("SELECT count(*) FROM incidents_incidentevent").fetchone()[0]
        conn.execute(
            "UPDATE incidents_incident SET description = 'Corrigé après restauration' WHERE id = %s",
            [_first_incident(source)],
        )
        assert conn.execute("SELECT count(*) FROM incidents_incidentevent").fetchone()[0] == before + 1
    restored_folders = {name: tmp_path / "restored" / name.lower() for name in ROOTS}
    assert _files(restored_folders) == records


def test_a_freshly_migrated_database_is_restored_but_one_holding_records_only_when_told(
    records, new_database, tmp_path
):
    source = connection.settings_dict["NAME"]
    backup = tmp_path / "backup"
    call_command("backup", output=backup, stdout=open(os.devnull, "w"))  # noqa: SIM115
    app = connection.settings_dict["USER"]

    # What `migrate` writes alone (content types, permissions, roles, schedules) is not a record.
    target = new_database(template="template1", owner=app)
    migrated = _run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], _environment(target, app, tmp_path / "t")
    )
    assert migrated.returncode == 0, migrated.stderr
    first = _restore(backup, target, app, tmp_path / "restored")
    assert first.returncode == 0, first.stderr
    assert _tables(target) == _tables(source)

    # Now it holds records: refused, and nothing changed (neither the database nor the files).
    with _admin(target) as conn:
        conn.execute("DELETE FROM incidents_casualtyidentity WHERE full_name = 'Oumar Cissé'")
    changed = _tables(target)
    refused = _restore(backup, target, app, tmp_path / "restored")
    assert refused.returncode == 1
    assert f"Records are already there (database {target}: " in refused.stderr
    assert "IMPORT_ROOT: 2 files" in refused.stderr
    assert "Nothing was restored; to replace them, say so (--overwrite)." in refused.stderr
    assert _tables(target) == changed

    replaced = _restore(backup, target, app, tmp_path / "restored", "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert _tables(target) == _tables(source)
    assert _files({name: tmp_path / "restored" / name.lower() for name in ROOTS}) == records


def test_restore_names_a_tampered_file_and_refuses_a_tampered_dump_or_a_database_it_cannot_complete(
    records, new_database, tmp_path
):
    backup = tmp_path / "backup"
    call_command("backup", output=backup, stdout=open(os.devnull, "w"))  # noqa: SIM115
    app = connection.settings_dict["USER"]
    photo = next((backup / "files" / "FIELD_ATTACHMENT_ROOT").rglob("*.jpg"))
    photo.write_bytes(photo.read_bytes() + b"\x00")
    export = next((backup / "files" / "EXPORT_ROOT").iterdir())
    export.unlink()

    target = new_database(template="template1", owner=app)
    tampered = _restore(backup, target, app, tmp_path / "restored")
    assert tampered.returncode == 1
    relative = photo.relative_to(backup / "files" / "FIELD_ATTACHMENT_ROOT").as_posix()
    assert f"FIELD_ATTACHMENT_ROOT/{relative}: SHA-256 differs from the manifest" in tampered.stderr
    assert f"EXPORT_ROOT/{export.name}: missing from the backup" in tampered.stderr
    assert "The restored data differs from the manifest (3 differences)" in tampered.stderr
    # The database itself was restored whole, and its figures match.
    assert "table " not in tampered.stderr

    # A dump that is not the one the manifest describes is not loaded at all.
    other = tmp_path / "other"
    shutil.copytree(backup, other)
    with open(other / "database.dump", "r+b") as dump:
        dump.seek(-1, os.SEEK_END)
        last = dump.read(1)
        dump.seek(-1, os.SEEK_END)
        dump.write(bytes([last[0] ^ 1]))
    empty = new_database(template="template1", owner=app)
    refused = _restore(other, empty, app, tmp_path / "elsewhere", "--overwrite")
    assert refused.returncode == 1
    assert "database.dump differs from the manifest (SHA-256): nothing was restored" in refused.stderr
    assert _extensions(empty) == {"plpgsql", "postgis", "pg_trgm"}
    assert [name for name, (rows, _md5) in _tables(empty).items() if name != "public.spatial_ref_sys"] == []

    # Without PostGIS, and a role that may not create it: said, and nothing restored.
    bare = new_database(template="template0", owner=app)
    refused = _restore(backup, bare, app, tmp_path / "bare")
    assert refused.returncode == 1
    assert "lacks the extension postgis, which only a superuser may create" in refused.stderr
    assert _extensions(bare) == {"plpgsql"}
    assert not (tmp_path / "bare").exists()
