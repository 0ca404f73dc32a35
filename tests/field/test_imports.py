"""Imports (field.services, field.imports): sample CSV, XLSX and GeoJSON files written here, with
broken rows; the dry run's report row by row, nothing saved until confirmation, the confirmed import
all or nothing and as submitted records, a second import of the same file changing nothing."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from openpyxl import Workbook

from core.exceptions import ApplicationError
from core.workflow import record_transition
from field import services
from field.models import ImportMapping, ImportRow, RecordImport
from hazards.models import HazardArea
from incidents.models import Casualty, Incident
from tests.geo import GAO, MOPTI, square

pytestmark = pytest.mark.django_db

HEADER = ("external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude,"
          "casualty_sex,casualty_age,casualty_outcome,casualty_civilian_status")  # fmt: skip


@pytest.fixture(autouse=True)
def import_root(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path / "imports"


def _csv(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def _start(user, organisation, content: bytes, name="incidents.csv", record_type="incidents", mapping=None):
    return services.import_start(user=user, organisation=organisation, record_type=record_type, name=name,
                                 chunks=[content], mapping=mapping)  # fmt: skip


def _report(record_import) -> dict[int, tuple[str, dict]]:
    return {row.number: (row.action, row.errors) for row in record_import.lines.order_by("number")}


def _count(model) -> int:
    return model.all_objects.count() if hasattr(model, "all_objects") else model.objects.count()


BROKEN = _csv(
    f"HI-1,2024-02-03,improvised,improvised_av_mine,stepped_on,{MOPTI[0]},{MOPTI[1]},male,34,killed,civilian",
    # The same incident's second victim: one more casualty, no incident of its own.
    "HI-1,,,,,,,female,9,injured,civilian",
    # A date as written by hand in Bamako.
    f"HI-2,15/03/2024,improvised,improvised_av_mine,stepped_on,{MOPTI[0]},{MOPTI[1]},,,,",
    # Latitude and longitude swapped.
    f"HI-3,2024-03-15,improvised,improvised_av_mine,stepped_on,{MOPTI[1]},{MOPTI[0]},,,,",
    # A device code that is none of ours.
    f"HI-4,2024-03-15,improvised,PPIED,stepped_on,{GAO[0]},{GAO[1]},,,,",
    # Paris.
    "HI-5,2024-03-15,improvised,improvised_av_mine,stepped_on,2.35,48.85,,,,",
    # No place at all, and a casualty aged 130.
    "HI-6,2024-03-15,improvised,improvised_av_mine,stepped_on,,,male,130,killed,civilian",
    f"HI-7,2024-03-16,improvised,improvised_av_mine,stepped_on,{GAO[0]},{GAO[1]},,,,",
)


def test_the_dry_run_reports_each_row_and_saves_nothing(partner_user, partner_a):
    incidents, casualties, events = _count(Incident), _count(Casualty), _events()
    record_import = _start(partner_user, partner_a, BROKEN)

    assert record_import.status == RecordImport.Status.CHECKED
    report = _report(record_import)
    assert {number: action for number, (action, _errors) in report.items()} == {
        2: "create", 4: "reject", 5: "reject", 6: "reject", 7: "reject", 8: "reject", 9: "create",
    }  # fmt: skip
    assert report[4][1] == {"incident_date": ["“15/03/2024” value has an invalid date format. It must be in "
                                              "YYYY-MM-DD format."]}  # fmt: skip
    assert report[5][1] == {"location": ["This point lies outside the country, but with latitude and longitude "
                                         "swapped it lies inside: check the two columns."]}  # fmt: skip
    assert report[6][1] == {"device_category_reported": ["Value 'PPIED' is not a valid choice."]}
    assert report[7][1] == {"location": ["The location lies outside the country."]}
    assert set(report[8][1]) == {"location", "casualties[0].age"}
    assert (record_import.rows, record_import.to_create, record_import.rejected) == (7, 2, 5)
    # Nothing saved, not even history.
    assert (_count(Incident), _count(Casualty), _events()) == (incidents, casualties, events)


def _events() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_incidentevent")
        return cursor.fetchone()[0]


def test_confirmed_the_accepted_rows_enter_as_submitted_with_their_casualties_and_the_import_named(
    partner_user, partner_a
):
    record_import = _start(partner_user, partner_a, BROKEN)
    record_import = services.import_confirm(record_import=record_import, user=partner_user)

    assert record_import.status == RecordImport.Status.IMPORTED, record_import.error
    made = {i.external_id: i for i in Incident.objects.filter(organisation=partner_a)}
    assert set(made) == {"HI-1", "HI-7"}
    first = made["HI-1"]
    assert first.status == "submitted"
    # Written by COPY: the database's defaults and the dates a save sets.
    assert (first.version, first.status_reason, first.date_precision) == (1, "", "day")
    assert first.created_at is not None
    assert first.updated_at >= first.created_at
    assert first.created_by == partner_user
    # The Mali rule applied as in a single create: set off by a person, it is an improvised AP mine.
    assert first.device_category == "improvised_ap_mine"
    assert first.admin_area.pcode
    assert first.reference.startswith("ML-INC-")
    assert sorted((c.sex, c.age, c.age_group, c.outcome) for c in first.casualties.all()) == [
        ("female", 9, "child", "injured"), ("male", 34, "adult", "killed")]  # fmt: skip
    rows = dict(record_import.lines.filter(action="create").values_list("number", "record_id"))
    assert rows == {2: first.pk, 9: made["HI-7"].pk}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.metadata->>'reason', c.metadata->>'action' FROM incidents_incidentevent e "
            "JOIN pghistory_context c ON c.id = e.pgh_context_id WHERE e.pgh_obj_id = %s", [first.pk],
        )  # fmt: skip
        assert cursor.fetchall() == [(f"Import #{record_import.pk}: incidents.csv", "import")]
        # Written in bulk, the history holds each record's insert as the trigger writes it.
        casualties = list(first.casualties.values_list("pk", flat=True))
        cursor.execute(
            "SELECT e.pgh_obj_id, e.sex, e.age, c.metadata->>'action' FROM incidents_casualtyevent e "
            "JOIN pghistory_context c ON c.id = e.pgh_context_id "
            "WHERE e.pgh_obj_id = ANY(%s) AND e.pgh_label = 'insert'",
            [casualties],
        )  # fmt: skip
        events = {row[0]: row[1:] for row in cursor.fetchall()}
        assert events == {c.pk: (c.sex, c.age, "import") for c in first.casualties.all()}

    # The same file again: nothing to write, nothing changed.
    again = _start(partner_user, partner_a, BROKEN)
    assert (again.to_create, again.to_update, again.unchanged, again.rejected) == (0, 0, 2, 5)
    with pytest.raises(ApplicationError):
        services.import_confirm(record_import=again, user=partner_user)
    assert Incident.objects.filter(organisation=partner_a).count() == 2


def test_a_changed_row_updates_its_record_by_external_id_when_the_workflow_allows(partner_user, partner_a):
    services.import_confirm(record_import=_start(partner_user, partner_a, BROKEN), user=partner_user)
    changed = _csv(f"HI-7,2024-03-17,improvised,improvised_av_mine,stepped_on,{GAO[0]},{GAO[1]},,,,")
    # Submitted, it waits for approval: as through any door, it is withdrawn before it changes.
    record_import = _start(partner_user, partner_a, changed)
    assert _report(record_import) == {
        2: ("reject", {"external_id": ["The record is submitted and waits for approval: withdraw it to change it."]})
    }
    record_transition(record=Incident.objects.get(external_id="HI-7"), user=partner_user, action="withdraw")
    record_import = _start(partner_user, partner_a, changed)
    assert _report(record_import) == {2: ("update", {})}
    services.import_confirm(record_import=record_import, user=partner_user)
    updated = Incident.objects.get(external_id="HI-7")
    assert (str(updated.incident_date), updated.status) == ("2024-03-17", "submitted")
    assert Incident.objects.filter(organisation=partner_a).count() == 2


def test_if_the_data_changed_since_the_check_nothing_is_imported(partner_user, partner_a, officer):
    record_import = _start(partner_user, partner_a, BROKEN)
    # Meanwhile someone records HI-7 by hand, differently: row 9 would now update it.
    from incidents.services import incident_create
    from tests.geo import point

    incident_create(user=partner_user, organisation=partner_a, data={
        "external_id": "HI-7", "incident_class": "improvised", "incident_date": "2024-01-01",
        "location": point(GAO), "device_category_reported": "uxo"})  # fmt: skip
    before = Incident.objects.count()
    record_import = services.import_confirm(record_import=record_import, user=partner_user)
    assert record_import.status == RecordImport.Status.FAILED
    assert "Row 9" in record_import.error
    assert Incident.objects.count() == before


def test_a_mapping_renames_columns_and_translates_a_partners_codes_in_xlsx(partner_user, partner_a):
    mapping = ImportMapping.objects.create(
        name="hi-registre", record_type="incidents",
        columns={"Réf": "external_id", "Date": "incident_date", "Type": "incident_class",
                 "Engin": "device_category_reported", "Déclenchement": "how_activated", "Lon": "longitude",
                 "Lat": "latitude", "Remarque": "", "Village": "locality"},
        values={"device_category_reported": {"EEI-AP": "improvised_ap_mine", "MAV": "av_mine"},
                "incident_class": {"EEI": "improvised"}, "how_activated": {"pied": "stepped_on"}},
    )  # fmt: skip
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Réf", "Date", "Type", "Engin", "Déclenchement", "Lon", "Lat", "Remarque", "Village"])
    import datetime

    from reference.models import Locality
    from reference.selectors import country_area

    # A village named as the partner writes it, in another case: placed by its locality.
    village = Locality.objects.filter(location__coveredby=country_area().geometry).order_by("pk").first()
    sheet.append(["R-1", datetime.datetime(2024, 5, 2), "EEI", "EEI-AP", "pied", None, None, "vu",
                  village.name.upper()])  # fmt: skip
    sheet.append(["R-2", datetime.datetime(2024, 5, 3), "EEI", "XX-9", "pied", MOPTI[0], MOPTI[1], "", "Nulle-Part"])
    sheet.append([None] * 9)
    sheet.append([17, "2024-05-04", "EEI", "MAV", "pied", GAO[0], GAO[1], None, None])
    content = io.BytesIO()
    workbook.save(content)
    record_import = _start(partner_user, partner_a, content.getvalue(), name="registre.xlsx", mapping=mapping)
    report = _report(record_import)
    assert report == {
        2: ("create", {}),
        3: ("reject", {"device_category_reported": ["“XX-9” has no mapping to our values in the mapping "
                                                    "“hi-registre”."],
                       "locality": ["No locality is known as “Nulle-Part”."]}),
        5: ("create", {}),
    }  # fmt: skip
    services.import_confirm(record_import=record_import, user=partner_user)
    made = Incident.objects.get(external_id="R-1")
    assert (str(made.incident_date), made.device_category_reported) == ("2024-05-02", "improvised_ap_mine")
    assert (made.locality, made.location) == (village, village.location)
    # A number cell read as the partner wrote it.
    assert Incident.objects.filter(external_id="17").exists()


def _feature(geometry, **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def test_geojson_hazard_areas_with_an_invalid_geometry(partner_user, partner_a):
    good = json.loads(square(MOPTI, 0.01).geojson)
    bowtie = {"type": "Polygon", "coordinates": [[[-4.2, 14.5], [-4.1, 14.6], [-4.1, 14.5], [-4.2, 14.6],
                                                   [-4.2, 14.5]]]}  # fmt: skip
    common = {"land_class": "sha", "evidence": "indirect", "survey_date": "2024-02-01",
              "contamination_types": ["improvised_ap_mines"]}  # fmt: skip
    collection = {"type": "FeatureCollection", "features": [
        _feature(good, external_id="Z-1", **common),
        _feature(bowtie, external_id="Z-2", **common),
        _feature({"type": "Polygon", "coordinates": "nonsense"}, external_id="Z-3", **common),
        _feature(json.loads(square(GAO, 0.02).geojson), external_id="Z-4", **{**common, "land_class": "castle"}),
    ]}  # fmt: skip
    before = HazardArea.objects.count()
    record_import = _start(partner_user, partner_a, json.dumps(collection).encode(), name="zones.geojson",
                           record_type="hazard-areas")  # fmt: skip
    report = _report(record_import)
    assert report[1] == ("create", {})
    assert report[2][0] == "reject"
    assert "Self-intersection" in " ".join(report[2][1]["geometry"])
    assert report[3] == ("reject", {"geometry": ["This geometry cannot be read as GeoJSON."]})
    assert report[4] == ("reject", {"land_class": ["Value 'castle' is not a valid choice."]})
    assert HazardArea.objects.count() == before
    services.import_confirm(record_import=record_import, user=partner_user)
    made = HazardArea.objects.get(external_id="Z-1")
    assert made.status == "submitted"
    assert made.area_m2 > 0
    assert HazardArea.objects.count() == before + 1


def test_a_file_that_cannot_be_read_fails_whole_with_the_reason(partner_user, partner_a):
    record_import = _start(partner_user, partner_a, b"not json", name="zones.geojson", record_type="hazard-areas")
    assert record_import.status == RecordImport.Status.FAILED
    assert record_import.error.startswith("The file is not JSON")
    with pytest.raises(ApplicationError) as refused:
        _start(partner_user, partner_a, b"x", name="zones.pdf")
    assert set(refused.value.errors) == {"file"}


def test_a_partner_imports_for_its_own_organisation_only(partner_user, partner_b):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _start(partner_user, partner_b, BROKEN)
    assert not RecordImport.objects.exists()


def test_the_command_is_a_dry_run_naming_rejected_rows_unless_commit(tmp_path, partner_a):
    path = tmp_path / "incidents.csv"
    path.write_bytes(BROKEN)
    out = io.StringIO()
    call_command("import_records", "--type", "incidents", str(path), "--organisation", "HI", stdout=out)
    text = out.getvalue()
    assert "7 records; 2 to create, 0 to update, 0 unchanged, 5 rejected" in text
    assert "  row 4: incident_date:" in text
    assert "  row 8: " in text
    assert not Incident.objects.filter(organisation=partner_a).exists()
    call_command("import_records", "--type", "incidents", str(path), "--organisation", "HI", "--commit", stdout=out)
    assert Incident.objects.filter(organisation=partner_a, status="submitted").count() == 2
    again = io.StringIO()
    call_command("import_records", "--type", "incidents", str(path), "--organisation", "HI", "--commit", stdout=again)
    assert "Nothing to write" in again.getvalue()
    assert Incident.objects.filter(organisation=partner_a).count() == 2


def test_a_file_with_the_apis_own_field_names_needs_no_mapping(partner_user, partner_a):
    lines = [
        "external_id,session_date,method,target_group,girls,boys,women,men,longitude,latitude",
        f"S-1,2024-04-01,{_choice('method')},{_choice('target_group')},3,4,5,6,{MOPTI[0]},{MOPTI[1]}",
    ]
    record_import = _start(partner_user, partner_a, "\n".join(lines).encode(), name="sessions.csv",
                           record_type="risk-education-sessions")  # fmt: skip
    assert _report(record_import) == {2: ("create", {})}, record_import.error


def _choice(name: str) -> str:
    from education.models import RiskEducationSession

    return RiskEducationSession._meta.get_field(name).choices[0][0]


def test_nothing_is_imported_twice_from_one_confirmation(partner_user, partner_a):
    record_import = _start(partner_user, partner_a, BROKEN)
    services.import_confirm(record_import=record_import, user=partner_user)
    with pytest.raises(ApplicationError):
        services.import_confirm(record_import=record_import, user=partner_user)
    # A worker delivering the write again finds it imported and does nothing.
    services.import_write(record_import_id=record_import.pk)
    assert Incident.objects.filter(organisation=partner_a).count() == 2
    assert ImportRow.objects.filter(record_import=record_import, record_id__isnull=False).count() == 2


def test_the_write_copies_what_the_check_built_unless_places_changed_since(partner_user, partner_a, settings):
    from reference.models import Locality

    # The file is not read again: what the check built is written (the file removed to show it).
    record_import = _start(partner_user, partner_a, BROKEN)
    (settings.IMPORT_ROOT / record_import.file_path).unlink()
    record_import = services.import_confirm(record_import=record_import, user=partner_user)
    assert record_import.status == RecordImport.Status.IMPORTED, record_import.error
    assert Incident.objects.filter(organisation=partner_a).count() == 2

    # A locality changed since the check: the rules are run again, on the file.
    again = _start(partner_user, partner_a, BROKEN.replace(b"HI-", b"HJ-"))
    locality = Locality.objects.first()
    locality.name += " (nouveau nom)"
    locality.save()
    (settings.IMPORT_ROOT / again.file_path).unlink()
    again = services.import_confirm(record_import=again, user=partner_user)
    assert again.status == RecordImport.Status.FAILED
    assert again.error == "The file is no longer kept here: send it again."
    assert Incident.objects.filter(organisation=partner_a).count() == 2


@pytest.mark.parametrize("kind", ["gpkg", "shp"])
def test_hazard_areas_from_a_geopackage_or_a_zipped_shapefile(partner_user, partner_a, tmp_path, kind):
    import subprocess
    import zipfile

    collection = {"type": "FeatureCollection", "features": [
        _feature(json.loads(square(MOPTI, 0.01).geojson), external_id="G-1", land_class="cha", evidence="direct",
                 survey_date="2024-02-01", contamination_types="uxo"),
        _feature(json.loads(square(GAO, 0.01).geojson), external_id="G-2", land_class="cha", evidence="direct",
                 survey_date="2031-02-01", contamination_types="uxo"),
    ]}  # fmt: skip
    source = tmp_path / "zones.geojson"
    source.write_text(json.dumps(collection))
    if kind == "gpkg":
        target = tmp_path / "zones.gpkg"
        subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), str(source)], check=True, capture_output=True)  # noqa: S603, S607
        content, name = target.read_bytes(), "zones.gpkg"
    else:
        folder = tmp_path / "shp"
        folder.mkdir()
        command = ["ogr2ogr", "-f", "ESRI Shapefile", str(folder / "zones.shp"), str(source)]
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603
        archive = tmp_path / "zones.zip"
        with zipfile.ZipFile(archive, "w") as zipped:
            for part in folder.iterdir():
                zipped.write(part, part.name)
        content, name = archive.read_bytes(), "zones.zip"
    # A shapefile cuts column names to 10 characters: a mapping names them again. A list is held as
    # text ("uxo", or "uxo; improvised_ap_mines").
    mapping = None
    if kind == "shp":
        mapping = ImportMapping.objects.create(name="zones-shp", record_type="hazard-areas", columns={
            "external_i": "external_id", "survey_dat": "survey_date", "contaminat": "contamination_types"})  # fmt: skip
    record_import = _start(partner_user, partner_a, content, name=name, record_type="hazard-areas", mapping=mapping)
    assert record_import.status == RecordImport.Status.CHECKED, record_import.error
    report = _report(record_import)
    assert report[1] == ("create", {})
    assert report[2][0] == "reject"
    assert report[2][1]["survey_date"] == ["The date cannot be in the future."]
    services.import_confirm(record_import=record_import, user=partner_user)
    made = HazardArea.objects.get(external_id="G-1")
    assert made.contamination_types == ["uxo"]
    # The same polygon, to the last digits GDAL writes (its ring may start elsewhere).
    assert made.geometry.sym_difference(square(MOPTI, 0.01)).area < 1e-12
