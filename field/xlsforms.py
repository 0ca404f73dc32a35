"""The field forms for ODK Collect and KoboToolbox, written as XLSForms from the system's own lists.

Each form is an XLSForm workbook (sheets survey, choices, settings; labels in French and English)
converted to an XForm by pyxform: the conversion is the validation, so a form that does not convert
is a bug. Choice lists come from the database when the form is built (régions, ordnance categories
and models, organisations); localities and hazardous areas, which may run to thousands, travel as
CSV media files beside the form. The version is a short hash of everything the form holds, so that
Collect offers an update whenever a list changes.
"""

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import pyxform
from django.apps import apps
from django.conf import settings
from django.contrib.gis.db.models.functions import PointOnSurface
from django.core.cache import cache
from django.db.models import Model, OuterRef, Subquery
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from community.models import CommunityReport
from core.models import DatePrecision, RecordStatus
from education.models import RiskEducationSession
from hazards.models import HazardArea, ItemFound, LandReleaseActivity
from incidents.models import Casualty, Incident, IncidentSource, Sex
from reference.country import level_name
from reference.models import (
    Activation,
    AdministrativeArea,
    Locality,
    OrdnanceCategory,
    OrdnanceType,
    Organisation,
    ordnance_name,
)
from reference.selectors import admin_areas_current

# XLSForm language columns: label::Français (fr), label::English (en). The first is the default.
LANGUAGES = (("fr", "Français (fr)"), ("en", "English (en)"))
# XForm XML of a version is the same until the version changes (its hash says so): kept a day.
XFORM_CACHE_SECONDS = 24 * 3600

Label = Promise | Callable[[], str]


class FormBuildError(Exception):
    """pyxform refused a form: a bug of the form's definition (or of a list's content)."""


@dataclass(frozen=True)
class Question:
    """One row of an XLSForm survey sheet."""

    type: str
    name: str = ""
    label: Label | None = None
    required: str = ""
    relevant: str = ""
    constraint: str = ""
    constraint_message: Label | None = None
    choice_filter: str = ""
    appearance: str = ""
    parameters: str = ""
    default: str = ""
    hint: Label | None = None


@dataclass(frozen=True)
class FormSpec:
    form_id: str
    title: Promise
    # The record the form reports ("app_label.Model"): who may use the form is who may report it.
    record_model: str
    questions: tuple[Question, ...]
    # Questions holding a list of entries (begin_repeat): lists of dicts in the parsed data.
    repeats: frozenset[str] = frozenset()

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.record_model)


@dataclass(frozen=True)
class Lists:
    """The database's lists a form offers, read once per request."""

    # (P-code, {language: name})
    regions: tuple[tuple[str, dict[str, str]], ...] = ()
    # (id, name)
    organisations: tuple[tuple[str, str], ...] = ()
    # (id, {language: name}, category)
    ordnance_types: tuple[tuple[str, dict[str, str], str], ...] = ()
    # (id, label, région P-code); CSV media files
    localities: tuple[tuple[str, str, str], ...] = ()
    hazards: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class BuiltForm:
    form_id: str
    title: str
    version: str
    xform: str
    # Media files by name (localities.csv...), as Collect downloads them.
    media: dict[str, bytes] = field(default_factory=dict)
    sheets: dict[str, list[list[str]]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def hash(self) -> str:
        """OpenRosa's hash of the form: md5 of the XForm as served."""
        return "md5:" + hashlib.md5(self.xform.encode("utf-8"), usedforsecurity=False).hexdigest()

    def xlsx(self) -> bytes:
        """The XLSForm workbook, for KoboToolbox (which deploys XLSForms) or a person to read."""
        return workbook_bytes(self.sheets)


def media_hash(content: bytes) -> str:
    return "md5:" + hashlib.md5(content, usedforsecurity=False).hexdigest()


# --- Labels --------------------------------------------------------------------------------


def _verbose(model: type[Model], name: str) -> Callable[[], str]:
    """A model field's name as a question label: the same words (and translations) as the pages."""
    return lambda: capfirst(str(model._meta.get_field(name).verbose_name))


def _region_label() -> str:
    # The manifest names level 1 ("Région" in Mali) in each language.
    return capfirst(level_name(1, translation.get_language()))


def _render(label: Label | None) -> str:
    if label is None:
        return ""
    return str(label) if isinstance(label, Promise) else label()


def _choices(options: Iterable[tuple[str, Promise]]) -> list[tuple[str, Label, dict[str, str]]]:
    return [(str(value), label, {}) for value, label in options]


# Messages the services already give, so that the field and the server speak alike.
NOT_FUTURE = _("The date cannot be in the future.")
AGE_RANGE = _("An age lies between 0 and 120 years.")
NOT_NEGATIVE = _("A count or an area can never be negative.")
END_AFTER_START = _("The end date cannot be before the start date.")
PAST_DATE = ". <= today()"


def _date_questions(model: type[Model], name: str) -> tuple[Question, ...]:
    return (
        Question("date", name, _verbose(model, name), required="yes", constraint=PAST_DATE,
                 constraint_message=NOT_FUTURE),
        Question("select_one date_precision", "date_precision", _verbose(model, "date_precision"), required="yes",
                 default=DatePrecision.DAY, appearance="minimal"),
    )  # fmt: skip


def _place_questions(model: type[Model]) -> tuple[Question, ...]:
    """The région narrows the localities offered; the record's own area is derived from its point."""
    return (
        Question("select_one regions", "region", _region_label, appearance="minimal"),
        Question("select_one_from_file localities.csv", "locality", _verbose(model, "locality"),
                 choice_filter="${region} = '' or region = '' or region = ${region}", appearance="autocomplete"),
        Question("geopoint", "location", _verbose(model, "location"), required="yes"),
    )  # fmt: skip


PHOTO = Question("image", "photo", _("Photo"), parameters="max-pixels=1600")


ACCIDENT_REPORT = FormSpec(
    form_id="accident_report",
    title=_("Explosive ordnance accident report"),
    record_model="incidents.Incident",
    repeats=frozenset({"casualties"}),
    questions=(
        *_date_questions(Incident, "incident_date"),
        Question("time", "incident_time", _verbose(Incident, "incident_time"), relevant="${date_precision} = 'day'"),
        Question("select_one incident_class", "incident_class", _verbose(Incident, "incident_class"), required="yes"),
        *_place_questions(Incident),
        Question("select_one ordnance_category", "device_category_reported", _verbose(Incident, "device_category")),
        Question("select_one ordnance_types", "ordnance_type", _verbose(Incident, "ordnance_type"),
                 choice_filter="${device_category_reported} = '' or category = ${device_category_reported}"),
        Question("select_one activation", "activation", _verbose(Incident, "activation")),
        Question("select_one how_activated", "how_activated", _verbose(Incident, "how_activated")),
        Question("select_one yes_no", "person_activated", _verbose(Incident, "person_activated"),
                 hint=Incident._meta.get_field("person_activated").help_text),
        Question("select_one yes_no", "anti_handling_device", _verbose(Incident, "anti_handling_device")),
        Question("select_one yes_no", "moved_or_tampered", _verbose(Incident, "moved_or_tampered")),
        Question("select_one activity_at_time", "activity_at_time", _verbose(Incident, "activity_at_time")),
        Question("text", "description", _verbose(Incident, "description"), appearance="multiline"),
        Question("begin_group", "source", _("Source of the report")),
        Question("select_one source_type", "source_type", _verbose(IncidentSource, "source_type")),
        Question("select_one organisations", "source_organisation", _verbose(IncidentSource, "organisation"),
                 relevant="${source_type} != ''", appearance="minimal"),
        Question("text", "source_name", _verbose(IncidentSource, "name"), relevant="${source_type} != ''"),
        Question("select_one reliability", "source_reliability", _verbose(IncidentSource, "reliability"),
                 relevant="${source_type} != ''", required="${source_type} != ''"),
        Question("end_group"),
        Question("begin_repeat", "casualties", _("Casualties")),
        Question("select_one outcome", "casualty_outcome", _verbose(Casualty, "outcome"), required="yes"),
        Question("select_one sex", "casualty_sex", _verbose(Casualty, "sex"), required="yes"),
        Question("integer", "casualty_age", _verbose(Casualty, "age"), constraint=". >= 0 and . <= 120",
                 constraint_message=AGE_RANGE),
        Question("select_one civilian_status", "casualty_civilian_status", _verbose(Casualty, "civilian_status")),
        Question("select_multiple injuries", "casualty_injuries", _verbose(Casualty, "injuries")),
        Question("text", "casualty_injury_description", _verbose(Casualty, "injury_description")),
        Question("end_repeat"),
        PHOTO,
    ),
)  # fmt: skip


def _count(name: str) -> Question:
    return Question("integer", name, _verbose(RiskEducationSession, name), required="yes", default="0",
                    constraint=". >= 0", constraint_message=NOT_NEGATIVE)  # fmt: skip


EORE_SESSION = FormSpec(
    form_id="eore_session",
    title=_("Risk education session"),
    record_model="education.RiskEducationSession",
    questions=(
        *_date_questions(RiskEducationSession, "session_date"),
        *_place_questions(RiskEducationSession),
        Question("select_one method", "method", _verbose(RiskEducationSession, "method"), required="yes"),
        Question("select_one target_group", "target_group", _verbose(RiskEducationSession, "target_group"),
                 required="yes"),
        *(_count(name) for name in ("girls", "boys", "women", "men")),
        Question("integer", "with_disability", _verbose(RiskEducationSession, "with_disability"), default="0",
                 constraint=". >= 0 and . <= ${girls} + ${boys} + ${women} + ${men}",
                 constraint_message=_("People with a disability cannot outnumber the beneficiaries.")),
        Question("text", "notes", _verbose(RiskEducationSession, "notes"), appearance="multiline"),
        PHOTO,
    ),
)  # fmt: skip


def _community_questions() -> tuple[Question, ...]:
    item = "${subject} = 'item'"
    return (
        *_date_questions(CommunityReport, "report_date"),
        Question("select_one subject", "subject", _verbose(CommunityReport, "subject"), required="yes"),
        *_place_questions(CommunityReport),
        Question("geoshape", "suspected_area", _verbose(CommunityReport, "suspected_area"),
                 relevant="${subject} = 'area'"),
        Question("select_one ordnance_category", "item_category", _verbose(CommunityReport, "item_category"),
                 relevant=item),
        Question("select_one yes_no", "item_person_sensitive", _verbose(CommunityReport, "item_person_sensitive"),
                 relevant=item),
        Question("integer", "item_count", _verbose(CommunityReport, "item_count"), relevant=item,
                 constraint=". >= 0", constraint_message=NOT_NEGATIVE),
        Question("text", "reporter_name", _verbose(CommunityReport, "reporter_name")),
        Question("text", "description", _verbose(CommunityReport, "description"), appearance="multiline"),
        PHOTO,
    )  # fmt: skip


COMMUNITY_REPORT = FormSpec(
    form_id="community_report",
    title=_("Community report of a suspected item or area"),
    record_model="community.CommunityReport",
    questions=_community_questions(),
)

# An EOD spot task needs no hazardous area (hazards.services.HAZARD_OPTIONAL) but a location; a
# non-technical survey is done on a hazardous area, chosen from the list, and cancels land.
ACTIVITY_KINDS = (LandReleaseActivity.Kind.EOD_SPOT_TASK, LandReleaseActivity.Kind.NTS)
NTS = "${kind} = 'nts'"

NTS_SPOT_TASK = FormSpec(
    form_id="nts_spot_task",
    title=_("EOD spot task or non-technical survey"),
    record_model="hazards.LandReleaseActivity",
    repeats=frozenset({"items"}),
    questions=(
        Question("select_one activity_kind", "kind", _verbose(LandReleaseActivity, "kind"), required="yes"),
        Question("select_one report_type", "report_type", _verbose(LandReleaseActivity, "report_type"),
                 required="yes", default=LandReleaseActivity.ReportType.PROGRESS),
        Question("date", "start_date", _verbose(LandReleaseActivity, "start_date"), required="yes",
                 constraint=PAST_DATE, constraint_message=NOT_FUTURE),
        Question("select_one date_precision", "date_precision", _verbose(LandReleaseActivity, "date_precision"),
                 required="yes", default=DatePrecision.DAY, appearance="minimal"),
        Question("date", "end_date", _verbose(LandReleaseActivity, "end_date"),
                 constraint=". >= ${start_date} and . <= today()", constraint_message=END_AFTER_START),
        Question("select_one regions", "region", _region_label, appearance="minimal"),
        Question("select_one_from_file hazards.csv", "hazard_area", _verbose(LandReleaseActivity, "hazard_area"),
                 relevant=NTS, required=NTS, choice_filter="${region} = '' or region = ${region}",
                 appearance="autocomplete"),
        Question("geopoint", "location", _verbose(LandReleaseActivity, "location"),
                 required="${kind} = 'eod_spot_task'"),
        Question("geoshape", "cancelled_geometry", _verbose(LandReleaseActivity, "cancelled_geometry"),
                 relevant=NTS),
        Question("begin_repeat", "items", _("Items found")),
        Question("select_one ordnance_category", "item_category", _verbose(ItemFound, "category"), required="yes"),
        Question("select_one ordnance_types", "item_ordnance_type", _verbose(ItemFound, "ordnance_type"),
                 choice_filter="category = ${item_category}"),
        Question("select_one yes_no", "item_person_sensitive", _verbose(ItemFound, "person_sensitive")),
        Question("integer", "item_quantity", _verbose(ItemFound, "quantity"), required="yes", default="1",
                 constraint=". >= 1", constraint_message=_("At least one item.")),
        Question("select_one condition", "item_condition", _verbose(ItemFound, "condition")),
        Question("integer", "item_depth_cm", _verbose(ItemFound, "depth_cm"), constraint=". >= 0",
                 constraint_message=NOT_NEGATIVE),
        Question("select_one yes_no", "item_destroyed", _verbose(ItemFound, "destroyed")),
        Question("end_repeat"),
        Question("text", "notes", _verbose(LandReleaseActivity, "notes"), appearance="multiline"),
        PHOTO,
    ),
)  # fmt: skip

FORMS: dict[str, FormSpec] = {
    spec.form_id: spec for spec in (ACCIDENT_REPORT, EORE_SESSION, COMMUNITY_REPORT, NTS_SPOT_TASK)
}
FORM_IDS = tuple(FORMS)


def _static_choices() -> dict[str, list[tuple[str, Label, dict[str, str]]]]:
    return {
        "date_precision": _choices(DatePrecision.choices),
        "incident_class": _choices(Incident.IncidentClass.choices),
        "ordnance_category": _choices(OrdnanceCategory.choices),
        "activation": _choices(Activation.choices),
        "how_activated": _choices(Incident.HowActivated.choices),
        "activity_at_time": _choices(Incident.ActivityAtTime.choices),
        # "unknown" is said out loud: on a phone an unanswered question may be an oversight.
        "yes_no": _choices((("yes", _("Yes")), ("no", _("No")), ("unknown", _("Unknown")))),
        "source_type": _choices(IncidentSource.SourceType.choices),
        "reliability": _choices(IncidentSource.Reliability.choices),
        "outcome": _choices(Casualty.Outcome.choices),
        "sex": _choices(Sex.choices),
        "civilian_status": _choices(Casualty.CivilianStatus.choices),
        "injuries": _choices(Casualty.Injury.choices),
        "method": _choices(RiskEducationSession.Method.choices),
        "target_group": _choices(RiskEducationSession.TargetGroup.choices),
        "subject": _choices(CommunityReport.Subject.choices),
        "activity_kind": _choices((kind.value, kind.label) for kind in ACTIVITY_KINDS),
        "report_type": _choices(LandReleaseActivity.ReportType.choices),
        "condition": _choices(ItemFound.Condition.choices),
    }


# --- The database's lists --------------------------------------------------------------------


def lists_read() -> Lists:
    """Current régions, active organisations, the ordnance catalogue, localities with their
    région, and the approved hazardous areas not handed over (every partner sees those)."""
    codes = [code for code, _label in LANGUAGES]
    regions = admin_areas_current().filter(level=AdministrativeArea.Level.ADMIN1).order_by("pcode")
    region_of = admin_areas_current().filter(level=AdministrativeArea.Level.ADMIN1)
    localities = (
        Locality.objects.annotate(
            region=Subquery(region_of.filter(geometry__covers=OuterRef("location")).values("pcode")[:1])
        )
        .order_by("name", "pk")
        .values_list("pk", "name", "region")
    )
    hazards = (
        HazardArea.objects.filter(status=RecordStatus.APPROVED)
        .exclude(hazard_status=HazardArea.HazardStatus.HANDED_OVER)
        .annotate(inside=PointOnSurface("geometry"))
        .annotate(region=Subquery(region_of.filter(geometry__covers=OuterRef("inside")).values("pcode")[:1]))
        .order_by("reference")
        .values_list("pk", "reference", "name", "region")
    )
    return Lists(
        regions=tuple((area.pcode, {code: area.name_in(code) for code in codes}) for area in regions),
        organisations=tuple(
            (str(pk), f"{acronym} – {name}" if name and name != acronym else acronym)
            for pk, acronym, name in Organisation.objects.filter(is_active=True)
            .order_by("acronym")
            .values_list("pk", "acronym", "name")
        ),
        ordnance_types=tuple(
            (str(entry.pk), {code: ordnance_name(entry, code) for code in codes}, entry.category)
            for entry in OrdnanceType.objects.order_by("category", "model")
        ),
        localities=tuple((str(pk), name, region or "") for pk, name, region in localities),
        hazards=tuple(
            (str(pk), f"{reference} {name}".strip(), region or "") for pk, reference, name, region in hazards
        ),
    )


def _csv(rows: Iterable[tuple[str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "label", "region"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# --- Building ---------------------------------------------------------------------------------

SURVEY_COLUMNS = (
    "type", "name", *(f"label::{lang}" for _c, lang in LANGUAGES), *(f"hint::{lang}" for _c, lang in LANGUAGES),
    "required", "relevant", "constraint", *(f"constraint_message::{lang}" for _c, lang in LANGUAGES),
    "choice_filter", "appearance", "parameters", "default",
)  # fmt: skip


def _translated(label: Label | None) -> list[str]:
    values = []
    for code, _lang in LANGUAGES:
        with translation.override(code):
            values.append(_render(label))
    return values


def _questions(spec: FormSpec, lists: Lists) -> list[Question]:
    """The form's questions, less those whose database list is empty (a new installation without
    its reference data yet): pyxform refuses a select without choices."""
    empty = {name for name in ("regions", "organisations", "ordnance_types") if not getattr(lists, name)}
    dropped = {q.name for q in spec.questions if q.type.split(" ")[-1] in empty}
    kept = []
    for q in spec.questions:
        if q.name in dropped:
            continue
        if any(f"${{{name}}}" in q.choice_filter for name in dropped):
            q = replace(q, choice_filter="")
        kept.append(q)
    return kept


def _survey_rows(questions: list[Question]) -> list[list[str]]:
    rows = [list(SURVEY_COLUMNS)]
    for q in questions:
        rows.append([
            q.type, q.name, *_translated(q.label), *_translated(q.hint), q.required, q.relevant, q.constraint,
            *_translated(q.constraint_message), q.choice_filter, q.appearance, q.parameters, q.default,
        ])  # fmt: skip
    return rows


def _choice_rows(form_id: str, questions: list[Question], lists: Lists) -> list[list[str]]:
    used = [q.type.split(" ", 1)[1] for q in questions if q.type.startswith(("select_one ", "select_multiple "))]
    used = list(dict.fromkeys(used))
    static = _static_choices()
    dynamic: dict[str, list[tuple[str, Label, dict[str, str]]]] = {
        "regions": [(pcode, _by_language(names), {}) for pcode, names in lists.regions],
        "organisations": [(pk, _fixed(name), {}) for pk, name in lists.organisations],
        "ordnance_types": [(pk, _by_language(names), {"category": cat}) for pk, names, cat in lists.ordnance_types],
    }
    extras = sorted({key for name in used for _v, _l, extra in dynamic.get(name, []) for key in extra})
    rows = [["list_name", "name", *(f"label::{lang}" for _c, lang in LANGUAGES), *extras]]
    for name in used:
        options = static.get(name, dynamic.get(name))
        if options is None:
            raise FormBuildError(f"{form_id}: no choice list {name!r}")
        for value, label, extra in options:
            rows.append([name, value, *_translated(label), *(extra.get(key, "") for key in extras)])
    return rows


def _fixed(text: str) -> Callable[[], str]:
    return lambda: text


def _by_language(names: dict[str, str]) -> Callable[[], str]:
    return lambda: names.get(translation.get_language(), "") or next(iter(names.values()), "")


def _media(spec: FormSpec, lists: Lists) -> dict[str, bytes]:
    files = {"localities.csv": lists.localities, "hazards.csv": lists.hazards}
    names = [q.type.split(" ", 1)[1] for q in spec.questions if q.type.startswith("select_one_from_file ")]
    return {name: _csv(files[name]) for name in names}


def workbook_bytes(sheets: dict[str, list[list[str]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xform_convert(form_id: str, xlsx: bytes) -> tuple[str, list[str]]:
    warnings: list[str] = []
    try:
        result = convert(xlsform=xlsx, warnings=warnings, file_type=".xlsx", form_name=form_id)
    except PyXFormError as exc:
        raise FormBuildError(f"{form_id}: {exc}") from exc
    return result.xform, warnings


def form_build(form_id: str, *, lists: Lists | None = None) -> BuiltForm:
    """The form as it stands with today's lists; KeyError for a form that does not exist."""
    spec = FORMS[form_id]
    lists = lists if lists is not None else lists_read()
    with translation.override(settings.LANGUAGE_CODE):
        title = str(spec.title)
    questions = _questions(spec, lists)
    sheets = {"survey": _survey_rows(questions), "choices": _choice_rows(form_id, questions, lists)}
    media = _media(spec, lists)
    fingerprint = hashlib.sha256(
        json.dumps([pyxform.__version__, title, sheets], ensure_ascii=False).encode("utf-8")
        + b"".join(hashlib.sha256(media[name]).digest() for name in sorted(media))
    ).hexdigest()
    version = fingerprint[:12]
    sheets["settings"] = [["form_title", "form_id", "version", "default_language"],
                          [title, form_id, version, LANGUAGES[0][1]]]  # fmt: skip
    key = f"field:xform:{form_id}:{version}"
    cached = cache.get(key)
    if cached is None:
        xform, warnings = xform_convert(form_id, workbook_bytes(sheets))
        cached = {"xform": xform, "warnings": warnings}
        cache.set(key, cached, XFORM_CACHE_SECONDS)
    return BuiltForm(
        form_id=form_id, title=title, version=version, xform=cached["xform"], media=media, sheets=sheets,
        warnings=tuple(cached["warnings"]),
    )  # fmt: skip


def forms_build(form_ids: Iterable[str] = FORM_IDS) -> list[BuiltForm]:
    lists = lists_read()
    return [form_build(form_id, lists=lists) for form_id in form_ids]
