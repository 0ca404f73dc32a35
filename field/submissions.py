"""A field submission becomes a record: the answers of a form (from ODK Collect or KoboToolbox)
go through the same domain service as any other report, as the user who sent them, for the
user's organisation, then are submitted for approval.

Nothing sent is lost: a submission a rule refused is kept with its errors (and no record) for a
data manager to fix; the same instance sent again is recognised by its instance id and changes
nothing.
"""

import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import user_organisation
from community.services import community_report_create
from core import policy, registry
from core.exceptions import ApplicationError
from core.history import recorded
from core.validation import Problems
from core.workflow import record_transition
from education.services import risk_education_session_create
from field.models import FieldSubmission
from field.openrosa import InstanceError, geopoint, geoshape
from field.xlsforms import FORMS, FormSpec
from hazards.models import HazardArea
from hazards.services import item_found_create, land_release_activity_create
from incidents.services import incident_create
from reference.models import Locality, OrdnanceType, Organisation

# A converter's answer for "leave the field to the service's default" (an unknown yes/no).
OMIT = object()
ATTACHMENT_NAME_MAX = 100


# --- Answers to service fields -----------------------------------------------------------------


def _text(value: str) -> Any:
    return value


def _yes_no(value: str) -> Any:
    answers = {"yes": True, "no": False, "unknown": OMIT}
    if value not in answers:
        raise InstanceError(_("Answer yes, no or unknown."))
    return answers[value]


def _multiple(value: str) -> list[str]:
    return value.split()


def _time(value: str) -> str:
    """ODK's "14:30:00.000+01:00" is the time on the reporter's watch: kept as such, without offset."""
    match = re.match(r"^(\d{1,2}:\d{2}(:\d{2})?)", value)
    if match is None:
        raise InstanceError(_("“%(value)s” is not a time.") % {"value": value[:40]})
    return match.group(1)


def _point(value: str) -> GEOSGeometry:
    return geopoint(value)


def _polygon(value: str) -> GEOSGeometry:
    return geoshape(value)


def _related(model: type[Model], message: Promise) -> Callable[[str], Model]:
    """An id the form offered (localities.csv, a choice list) as the record it names."""

    def convert(value: str) -> Model:
        # ASCII digits only: "²" or "١٢" are digits to str.isdigit(), not to int() or the form's list.
        record = model._default_manager.filter(pk=int(value)).first() if value.isascii() and value.isdigit() else None
        if record is None:
            raise InstanceError(message % {"value": value[:40]})
        return record

    return convert


_locality = _related(Locality, gettext_lazy("Unknown locality %(value)s: update the form and choose again."))
_ordnance_type = _related(
    OrdnanceType, gettext_lazy("Unknown device model %(value)s: update the form and choose again.")
)
_organisation = _related(
    Organisation, gettext_lazy("Unknown organisation %(value)s: update the form and choose again.")
)
_hazard_area = _related(HazardArea, gettext_lazy("Unknown hazardous area %(value)s: update the form and choose again."))

# Question name → (service field, converter). Numbers and dates stay text: the service reads them
# with its model fields, and names what is wrong in the same words as every other door.
AnswerMap = dict[str, tuple[str, Callable[[str], Any]]]


def _same(*names: str) -> AnswerMap:
    return {name: (name, _text) for name in names}


INCIDENT: AnswerMap = {
    **_same("incident_date", "date_precision", "incident_class", "device_category_reported", "activation",
            "how_activated", "activity_at_time", "description"),
    "incident_time": ("incident_time", _time),
    "locality": ("locality", _locality),
    "location": ("location", _point),
    "ordnance_type": ("ordnance_type", _ordnance_type),
    "person_activated": ("person_activated", _yes_no),
    "anti_handling_device": ("anti_handling_device", _yes_no),
    "moved_or_tampered": ("moved_or_tampered", _yes_no),
}  # fmt: skip
CASUALTY: AnswerMap = {
    "casualty_outcome": ("outcome", _text),
    "casualty_sex": ("sex", _text),
    "casualty_age": ("age", _text),
    "casualty_civilian_status": ("civilian_status", _text),
    "casualty_injuries": ("injuries", _multiple),
    "casualty_injury_description": ("injury_description", _text),
}
SOURCE: AnswerMap = {
    "source_type": ("source_type", _text),
    "source_organisation": ("organisation", _organisation),
    "source_name": ("name", _text),
    "source_reliability": ("reliability", _text),
}
SESSION: AnswerMap = {
    **_same("session_date", "date_precision", "method", "target_group", "girls", "boys", "women", "men",
            "with_disability", "notes"),
    "locality": ("locality", _locality),
    "location": ("location", _point),
}  # fmt: skip
COMMUNITY_REPORT: AnswerMap = {
    **_same("report_date", "date_precision", "subject", "item_category", "item_count", "reporter_name", "description"),
    "locality": ("locality", _locality),
    "location": ("location", _point),
    "suspected_area": ("suspected_area", _polygon),
    "item_person_sensitive": ("item_person_sensitive", _yes_no),
}
ACTIVITY: AnswerMap = {
    **_same("kind", "report_type", "start_date", "date_precision", "end_date", "notes"),
    "hazard_area": ("hazard_area", _hazard_area),
    "location": ("location", _point),
    "cancelled_geometry": ("cancelled_geometry", _polygon),
}
ITEM: AnswerMap = {
    "item_category": ("category", _text),
    "item_ordnance_type": ("ordnance_type", _ordnance_type),
    "item_person_sensitive": ("person_sensitive", _yes_no),
    "item_quantity": ("quantity", _text),
    "item_condition": ("condition", _text),
    "item_depth_cm": ("depth_cm", _text),
    "item_destroyed": ("destroyed", _yes_no),
}


class _Reader:
    """Reads answers into service fields, collecting what cannot be read under the service's names
    (`casualties[0].age`), so that they are reported with the service's own errors."""

    def __init__(self) -> None:
        self.problems = Problems()

    def read(self, answers: Mapping[str, Any], mapping: AnswerMap, prefix: str = "") -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name, (target, convert) in mapping.items():
            value = answers.get(name)
            if not isinstance(value, str) or value == "":
                continue
            try:
                converted = convert(value)
            except InstanceError as exc:
                self.problems.add(f"{prefix}{target}", exc.message)
                continue
            if converted is not OMIT:
                fields[target] = converted
        return fields

    def entries(self, answers: Mapping[str, Any], repeat: str) -> list[Mapping[str, Any]]:
        entries = answers.get(repeat) or []
        return [entry for entry in entries if isinstance(entry, Mapping)]


def _incident(*, user, organisation, answers, reader: _Reader, external_id: str) -> Model:
    data = reader.read(answers, INCIDENT)
    casualties = [
        reader.read(entry, CASUALTY, f"casualties[{index}].")
        for index, entry in enumerate(reader.entries(answers, "casualties"))
    ]
    source = reader.read(answers, SOURCE, "sources[0].")
    return incident_create(
        user=user,
        organisation=organisation,
        data={**data, "external_id": external_id},
        casualties=casualties,
        sources=[source] if source else [],
    )


def _session(*, user, organisation, answers, reader: _Reader, external_id: str) -> Model:
    data = reader.read(answers, SESSION)
    return risk_education_session_create(
        user=user, organisation=organisation, data={**data, "external_id": external_id}
    )


def _community_report(*, user, organisation, answers, reader: _Reader, external_id: str) -> Model:
    data = reader.read(answers, COMMUNITY_REPORT)
    return community_report_create(user=user, organisation=organisation, data={**data, "external_id": external_id})


def _activity(*, user, organisation, answers, reader: _Reader, external_id: str) -> Model:
    """The activity, then each item found through its own service, so that an item's mistakes are
    reported under its position (`items[1].quantity`), all of them at once."""
    data = reader.read(answers, ACTIVITY)
    items = [reader.read(entry, ITEM, f"items[{i}].") for i, entry in enumerate(reader.entries(answers, "items"))]
    activity = land_release_activity_create(user=user, organisation=organisation,
                                            data={**data, "external_id": external_id})  # fmt: skip
    problems = Problems()
    for index, item in enumerate(items):
        try:
            with transaction.atomic():
                item_found_create(activity=activity, user=user, data=item)
        except ApplicationError as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    problems.add(f"items[{index}].{field}", message)
    problems.raise_if_any()
    return activity


RECORD_WRITERS: dict[str, Callable[..., Model]] = {
    "accident_report": _incident,
    "eore_session": _session,
    "community_report": _community_report,
    "nts_spot_task": _activity,
}


def form_may_use(user, spec: FormSpec) -> bool:
    """Whoever may report the form's record for their own organisation, and submit it."""
    organisation = user_organisation(user)
    if organisation is None or not user.has_perm("accounts.submit_record"):
        return False
    try:
        policy.check_report_for(user, spec.model, organisation)
    except PermissionDenied:
        return False
    return True


# --- Receiving -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    submission: FieldSubmission
    # False: this instance came before; nothing was made again.
    created: bool

    @property
    def accepted(self) -> bool:
        return self.submission.status == FieldSubmission.Status.ACCEPTED


def _errors(exc: Exception) -> dict[str, list[str]]:
    if isinstance(exc, ApplicationError):
        return exc.errors or {"non_field_errors": [exc.message]}
    return {"non_field_errors": [str(exc)]}


def submission_receive(
    *,
    source: str,
    form_id: str,
    instance_id: str,
    user,
    answers: Mapping[str, Any],
    payload: str,
    form_version: str = "",
    files: Sequence[tuple[str, Any]] = (),
) -> Received:
    """Keeps the submission and makes its record, submitted for approval, in one transaction.

    `answers` are by question name (field.openrosa.instance_data or kobo_row_data); `files` are
    (name, file-like or bytes) pairs, stored under FIELD_ATTACHMENT_ROOT/<submission id>/.
    """
    spec = FORMS[form_id]
    organisation = user_organisation(user)
    if organisation is None:
        raise PermissionDenied(_("Your account reports for no organisation."))
    existing = FieldSubmission.objects.filter(instance_id=instance_id).first()
    if existing is not None:
        return Received(_more_files(existing, user, files), created=False)
    with transaction.atomic():
        try:
            with transaction.atomic():
                submission = FieldSubmission.objects.create(
                    source=source, instance_id=instance_id, form_id=form_id, form_version=form_version[:50],
                    user=user if getattr(user, "pk", None) else None, organisation=organisation, payload=payload,
                    data=dict(answers), status=FieldSubmission.Status.ACCEPTED,
                    record_type=registry.get(spec.model).slug or "",
                )  # fmt: skip
        except IntegrityError:
            submission = None
        if submission is not None:
            _record_make(submission=submission, spec=spec, user=user, organisation=organisation, answers=answers)
            submission.attachments = _attachments_write(submission.pk, files, taken=())
            submission.save()
    if submission is None:
        # The same instance sent twice at once: the other request kept it.
        existing = FieldSubmission.objects.get(instance_id=instance_id)
        return Received(_more_files(existing, user, files), created=False)
    return Received(submission, created=True)


def _record_make(*, submission: FieldSubmission, spec: FormSpec, user, organisation, answers) -> None:
    """The record through its service and its move to "submitted", all or nothing: a rule broken
    anywhere leaves the submission kept with the errors, and no record."""
    reader = _Reader()
    try:
        with transaction.atomic():
            with recorded(user=user, action="create"):
                record = RECORD_WRITERS[spec.form_id](
                    user=user, organisation=organisation, answers=answers, reader=reader,
                    external_id=submission.instance_id[:100],
                )  # fmt: skip
            # Answers that could not be read (a bad point) fail the record, with the service's own errors.
            reader.problems.raise_if_any()
            record_transition(record=record, user=user, action="submit")
    except (ApplicationError, PermissionDenied) as exc:
        errors = dict(reader.problems.errors)
        for field, messages in _errors(exc).items():
            # A value that could not be read is also "required" to the service: its reading error says more.
            if field not in errors:
                errors[field] = messages
        submission.status, submission.errors = FieldSubmission.Status.REJECTED, errors
        submission.record_id = None
        return
    submission.status, submission.errors, submission.record_id = FieldSubmission.Status.ACCEPTED, {}, record.pk


# --- Attachments -----------------------------------------------------------------------------------


def attachment_name(name: str) -> str:
    """A file name safe on any disk: no folder, no leading dot, letters, digits, `-_.` only."""
    base = os.path.basename(str(name).replace("\\", "/")).lstrip(".")
    try:
        safe = get_valid_filename(base)
    except SuspiciousFileOperation:
        # Nothing usable was left of the name ("", "..").
        safe = ""
    stem, dot, extension = safe.rpartition(".")
    if dot and len(extension) > 10:
        stem, dot, extension = safe, "", ""
    if len(safe) > ATTACHMENT_NAME_MAX:
        stem = (stem if dot else safe)[: ATTACHMENT_NAME_MAX - len(extension) - 1]
        safe = f"{stem}.{extension}" if dot else stem
    return safe or "attachment"


def attachment_folder(submission_id: int) -> Path:
    return Path(settings.FIELD_ATTACHMENT_ROOT) / str(submission_id)


def _attachments_write(submission_id: int, files: Iterable[tuple[str, Any]], *, taken: Iterable[str]) -> list[str]:
    """Writes the files, each under a unique sanitised name; removes what it wrote if one fails
    (the transaction around it is then undone too)."""
    folder = attachment_folder(submission_id)
    names = set(taken)
    written: list[str] = []
    try:
        for original, content in files:
            name = attachment_name(original)
            stem, dot, extension = name.rpartition(".")
            counter = 1
            while name in names:
                counter += 1
                name = f"{stem}-{counter}.{extension}" if dot else f"{extension}-{counter}"
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / name, "wb") as out:
                if isinstance(content, bytes | bytearray):
                    out.write(content)
                else:
                    # An uploaded file, read in chunks: a photo need not sit in memory whole.
                    for chunk in content.chunks():
                        out.write(chunk)
            names.add(name)
            written.append(name)
    except BaseException:
        for name in written:
            (folder / name).unlink(missing_ok=True)
        if folder.is_dir() and not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return written


def _more_files(existing: FieldSubmission, user, files) -> FieldSubmission:
    """Files sent again with a known instance join it only when they come from its sender: an
    instance id is no password, and nobody else's photos may be slipped into a submission."""
    if existing.user_id is not None and existing.user_id != getattr(user, "pk", None):
        return existing
    return submission_attachments_add(submission=existing, files=files)


def submission_attachments_add(*, submission: FieldSubmission, files: Sequence[tuple[str, Any]]) -> FieldSubmission:
    """Collect sends a large submission in several requests, each with the instance and some of its
    files: the files not yet received are added; the instance itself changes nothing."""
    if not files:
        return submission
    with transaction.atomic():
        submission = FieldSubmission.objects.select_for_update().get(pk=submission.pk)
        already = set(submission.attachments)
        new = [(name, content) for name, content in files if attachment_name(name) not in already]
        if new:
            submission.attachments = [*submission.attachments, *_attachments_write(submission.pk, new, taken=already)]
            submission.save(update_fields=["attachments", "updated_at"])
    return submission
