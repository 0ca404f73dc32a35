"""The field forms (field.xlsforms): each converts with pyxform without a warning, offers the
database's current lists, and takes a new version when a list it offers changes."""

import csv
import datetime
import hashlib
import io

import pytest
from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook

from field.xlsforms import FORM_IDS, FORMS, form_build, forms_build, xform_convert
from reference.models import AdministrativeArea, Locality, OrdnanceCategory, OrdnanceType, Organisation
from reference.selectors import admin_areas_current
from reference.services import LoadResult, admin_area_upsert, organisations_load

pytestmark = pytest.mark.django_db

XF = "{http://www.w3.org/2002/xforms}"


def _choices(form, list_name: str) -> dict[str, list[str]]:
    """name -> [row] of one choice list in the form's choices sheet."""
    _header, *rows = form.sheets["choices"]
    return {row[1]: row for row in rows if row[0] == list_name}


def test_every_form_converts_to_an_xform_without_warnings():
    built = {form.form_id: form for form in forms_build()}
    assert sorted(built) == sorted(["accident_report", "eore_session", "community_report", "nts_spot_task"])
    for form_id, form in built.items():
        assert form.warnings == (), (form_id, form.warnings)
        root = fromstring(form.xform.encode())
        instance = root.find(f".//{XF}instance/{XF}{form_id}")
        assert instance is not None, form_id
        assert (instance.get("id"), instance.get("version")) == (form_id, form.version)
        # Labels in French and English, French first.
        languages = [t.get("lang") for t in root.iter(f"{XF}translation")]
        assert languages == ["Français (fr)", "English (en)"], form_id
        assert form.hash == "md5:" + hashlib.md5(form.xform.encode(), usedforsecurity=False).hexdigest()


def test_the_workbook_itself_converts_as_kobotoolbox_would_read_it():
    """The .xlsx served for KoboToolbox is a valid XLSForm: converting it again gives the same XForm."""
    for form_id in FORM_IDS:
        form = form_build(form_id)
        workbook = load_workbook(io.BytesIO(form.xlsx()))
        assert workbook.sheetnames == ["survey", "choices", "settings"]
        assert workbook["survey"]["C1"].value == "label::Français (fr)"
        assert workbook["survey"]["D1"].value == "label::English (en)"
        xform, warnings = xform_convert(form_id, form.xlsx())
        assert (xform, warnings) == (form.xform, [])


def test_the_accident_report_has_its_casualties_as_a_repeat_and_its_place_as_a_geopoint():
    form = form_build("accident_report")
    survey = {row[1]: row[0] for row in form.sheets["survey"][1:] if row[1]}
    assert survey["casualties"] == "begin_repeat"
    assert survey["location"] == "geopoint"
    assert survey["locality"] == "select_one_from_file localities.csv"
    assert FORMS["accident_report"].repeats == frozenset({"casualties"})
    root = fromstring(form.xform.encode())
    binds = {b.get("nodeset"): b.get("type") for b in root.iter(f"{XF}bind")}
    assert binds["/accident_report/location"] == "geopoint"
    assert binds["/accident_report/casualties/casualty_age"] == "int"
    assert binds["/accident_report/photo"] == "binary"
    assert root.find(f".//{XF}repeat").get("nodeset") == "/accident_report/casualties"


def test_the_lists_are_the_databases_current_ones():
    form = form_build("accident_report")
    regions = set(admin_areas_current().filter(level=AdministrativeArea.Level.ADMIN1).values_list("pcode", flat=True))
    assert len(regions) >= 8
    assert set(_choices(form, "regions")) == regions
    mopti = admin_areas_current().get(level=1, name_fr="Mopti")
    assert _choices(form, "regions")[mopti.pcode][2:4] == ["Mopti", "Mopti"]
    categories = _choices(form, "ordnance_category")
    assert set(categories) == set(OrdnanceCategory.values)
    # The system's own French and English names.
    assert categories["ap_mine"][2:4] == ["Mine antipersonnel", "Anti-personnel mine"]
    assert set(_choices(form, "organisations")) == {
        str(pk) for pk in Organisation.objects.filter(is_active=True).values_list("pk", flat=True)
    }
    pmn2 = OrdnanceType.objects.get(model="PMN-2")
    # Models carry their category: the form narrows the models to the category chosen.
    assert _choices(form, "ordnance_types")[str(pmn2.pk)][-1] == "ap_mine"

    rows = list(csv.DictReader(io.StringIO(form.media["localities.csv"].decode())))
    assert len(rows) == Locality.objects.count() > 0
    mopti_town = Locality.objects.get(name="Mopti")
    assert {"name": str(mopti_town.pk), "label": "Mopti", "region": mopti.pcode} in rows


def test_the_version_changes_when_a_list_the_form_offers_changes():
    before = {form.form_id: form.version for form in forms_build()}
    assert before == {form.form_id: form.version for form in forms_build()}

    # Organisations are offered by the accident report (its source) only.
    organisations_load(rows=[{"acronym": "MAG", "kind": "ngo", "name": "Mines Advisory Group"}])
    after_organisation = {form.form_id: form.version for form in forms_build()}
    assert after_organisation["accident_report"] != before["accident_report"]
    assert {k: v for k, v in after_organisation.items() if k != "accident_report"} == {
        k: v for k, v in before.items() if k != "accident_report"
    }
    mag = Organisation.objects.get(acronym="MAG")
    assert _choices(form_build("accident_report"), "organisations")[str(mag.pk)][2] == "MAG – Mines Advisory Group"

    # A new région reaches every form.
    admin_area_upsert(
        level=1, pcode="ML-99", name_fr="Région nouvelle", name_en="New region", geometry=None,
        valid_from=datetime.date(2025, 1, 1), parent=None, result=LoadResult(),
    )  # fmt: skip
    after_region = {form.form_id: form.version for form in forms_build()}
    assert all(after_region[f] != after_organisation[f] for f in FORM_IDS)
    assert _choices(form_build("eore_session"), "regions")["ML-99"][2:4] == ["Région nouvelle", "New region"]
