"""Every export (CSV, XLSX, GeoJSON) of every exportable list, its text columns holding spreadsheet
formulas and markup: a formula is neutralised by a leading apostrophe in CSV and XLSX (a number stays
a number), markup is carried as the data it is (the file is no web page), the GeoJSON as sent."""

import csv
import io
import json

import pytest
from django.db import models
from openpyxl import load_workbook

from core import registry
from reports.selectors import exportable_resources
from reports.services import export_request, export_write
from tests.hardening import corpus
from tests.pages.records import one_of_each

pytestmark = pytest.mark.django_db

RESOURCES = exportable_resources()
PAYLOADS = corpus.FORMULAS + [(name, text) for name, text in corpus.TEXT_STORED if "<" in text or "'" in text]


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def records(partner_user, partner_a):
    return one_of_each(partner=partner_user, organisation=partner_a)


def _text_fields(model) -> list[str]:
    return [field.name for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField) and not field.choices]  # fmt: skip


def _export(user, resource, fmt) -> bytes:
    export = export_request(user=user, resource=resource, format=fmt)
    export_write(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "done", export.error
    from reports.services import export_root

    return next(export_root().rglob(f"*{export.pk}*.{fmt}")).read_bytes()


def _expected(text: str) -> str:
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _store(model, fields, text) -> dict[int, dict[str, str]]:
    """`text` in every text column of every record (cut to the column; the external id made unique),
    then what each record holds, by id."""
    for record in model.objects.all():
        values = {}
        for name in fields:
            field = model._meta.get_field(name)
            value = text + (f"#{record.pk}" if name in ("external_id", "reference") else "")
            values[name] = value[-field.max_length :] if name in ("external_id", "reference") and field.max_length \
                else value[: field.max_length]  # fmt: skip
        model.objects.filter(pk=record.pk).update(**values)
    return {row["id"]: row for row in model.objects.values("id", *fields)}


@pytest.mark.parametrize("resource", RESOURCES)
def test_text_that_looks_like_a_formula_is_neutralised_in_every_export(partner_user, records, resource):
    model = registry.by_slug(resource).model
    fields = _text_fields(model)
    geographic = registry.by_slug(resource).geometry_field is not None
    failures, columns = [], []
    for name, text in PAYLOADS:
        stored = _store(model, fields, text)
        rows = list(csv.DictReader(io.StringIO(_export(partner_user, resource, "csv").decode("utf-8"))))
        columns = [column for column in rows[0] if column in fields]
        failures += [f"csv {name} {column}: {row[column]!r}" for row in rows for column in columns
                     if row[column] != _expected(stored[int(row["id"])][column])]  # fmt: skip
        sheet = load_workbook(io.BytesIO(_export(partner_user, resource, "xlsx")), read_only=True).worksheets[0]
        header, *cells = list(sheet.iter_rows(values_only=True))
        for row in cells:
            values = dict(zip(header, row, strict=False))
            # A number stays a number: the id is no text.
            if not isinstance(values["id"], int):
                failures.append(f"xlsx {name} id: {values['id']!r}")
                continue
            failures += [f"xlsx {name} {column}: {values[column]!r}" for column in columns
                         if values[column] != _expected(stored[values["id"]][column])]  # fmt: skip
        if geographic:
            features = json.loads(_export(partner_user, resource, "geojson"))["features"]
            for properties in (feature["properties"] for feature in features):
                failures += [f"geojson {name} {column}: {properties[column]!r}" for column in columns
                             if properties.get(column) != stored[properties["id"]][column]]  # fmt: skip
    # Types whose exported columns hold no free text (casualties, survivors) still had their ids checked.
    assert set(columns) >= {name for name in registry.by_slug(resource).export_fields if name in fields}
    assert not failures, "\n".join(failures)
