"""Imports of files: start (the file kept, the dry run run or queued), check, confirm, write.

The same functions serve the page, the API and `manage.py import_records`. A small file is checked
and written at once; a large one by a worker (field.import_tasks), its progress in the import's row.
Nothing is saved from a file until its owner confirms, and the confirmed import is all or nothing.
"""

import uuid
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core import outbox, policy, registry
from core.db import side_connection
from core.exceptions import ApplicationError
from field import imports, imports_staging
from field.imports_read import ImportFileError, file_format, read_rows
from field.models import IMPORT_TYPES, ImportMapping, ImportRow, RecordImport
from field.selectors import may_follow
from reference.models import Organisation

# Files up to this size are checked and written while the request waits; larger ones by a worker.
INLINE_BYTES = 1024 * 1024


def import_root() -> Path:
    return Path(settings.IMPORT_ROOT)


def import_start(
    *, user, organisation: Organisation | None, record_type: str, name: str, chunks: Iterable[bytes],
    mapping: ImportMapping | None = None, inline: bool | None = None,
) -> RecordImport:  # fmt: skip
    """Keeps the file and checks it (a dry run: nothing saved), at once when small or `inline`,
    else by a worker. Refused at once: an unknown type, a file type we cannot read, a file too
    large, a mapping of another type, or a user who may not report these records for `organisation`."""
    errors = {}
    if record_type not in dict(IMPORT_TYPES):
        errors["record_type"] = [_("Choose one of: %(types)s.") % {"types": ", ".join(dict(IMPORT_TYPES))}]
    try:
        file_format(name)
    except ImportFileError as error:
        errors["file"] = [str(error)]
    if mapping is not None and mapping.record_type != record_type:
        errors["mapping"] = [_("This mapping is for %(type)s.") % {"type": mapping.get_record_type_display()}]
    organisation = organisation or getattr(getattr(user, "profile", None), "organisation", None)
    if organisation is None:
        errors["organisation"] = [_("Say for which organisation these records are reported.")]
    if errors:
        raise ApplicationError(_("The import is not valid."), errors=errors)
    policy.check_report_for(user, imports.TYPES[record_type].model, organisation)
    stored = _store(name, chunks)
    inline = inline if inline is not None else stored.stat().st_size <= INLINE_BYTES
    # The import and its check's task are written together: never an import no worker will check.
    with transaction.atomic():
        record_import = RecordImport.objects.create(
            record_type=record_type, organisation=organisation, owner=_person(user), mapping=mapping,
            file_name=Path(name).name[:255], file_path=str(stored.relative_to(import_root())),
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )  # fmt: skip
        if not inline:
            from field.import_tasks import import_check_run

            outbox.enqueue(import_check_run, args=[record_import.pk])
    if inline:
        import_check(record_import_id=record_import.pk, user=user)
    record_import.refresh_from_db()
    return record_import


def _person(user):
    """The user to name as owner; None for the system (a command)."""
    return user if getattr(user, "pk", None) else None


def _store(name: str, chunks: Iterable[bytes]) -> Path:
    folder = import_root() / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (get_valid_filename(Path(name).name) or "import")
    size = 0
    with open(path, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > settings.IMPORT_MAX_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise ApplicationError(
                    _("The file is too large."),
                    errors={
                        "file": [_("Send at most %(size)s.") % {"size": filesizeformat(settings.IMPORT_MAX_BYTES)}]
                    },
                )
            out.write(chunk)
    return path


def _lines(record_import: RecordImport, user) -> list[imports.Line]:
    kind = imports.TYPES[record_import.record_type]
    rows = read_rows(import_root() / record_import.file_path, record_import.file_name)
    lines = imports.prepare(rows, kind, record_import.mapping, record_import.organisation)
    imports.check(lines, kind, user=user, organisation=record_import.organisation)
    return lines


def import_check(*, record_import_id: int, user=None) -> RecordImport:
    """The dry run: every row's fate (create, update, unchanged, reject and why), saved as the
    import's report; the records themselves are not saved."""
    record_import = RecordImport.objects.select_related("organisation", "mapping").get(pk=record_import_id)
    # Checked already (or confirmed since): a task delivered again changes nothing.
    if record_import.status != RecordImport.Status.CHECKING:
        return record_import
    user = user or record_import.owner
    with translation.override(record_import.language or settings.LANGUAGE_CODE):
        try:
            with transaction.atomic():
                lines = _lines(record_import, user)
                transaction.set_rollback(True)
        except (ImportFileError, PermissionDenied) as error:
            return _failed(record_import, str(error))
        except ApplicationError as error:
            return _failed(record_import, _message(error))
    if record_import.record_type == "incidents":
        imports_staging.stage((import_root() / record_import.file_path).parent, lines)
    with transaction.atomic():
        ImportRow.objects.filter(record_import=record_import).delete()
        ImportRow.objects.bulk_create(
            [ImportRow(record_import=record_import, number=line.number, action=line.action,
                       external_id=line.external_id[:100], errors=line.errors) for line in lines],
            batch_size=5000,
        )  # fmt: skip
        counts = dict.fromkeys(ImportRow.Action.values, 0)
        for line in lines:
            counts[line.action] += 1
        RecordImport.objects.filter(pk=record_import.pk).update(
            status=RecordImport.Status.CHECKED, progress=100, rows=len(lines), to_create=counts["create"],
            to_update=counts["update"], unchanged=counts["unchanged"], rejected=counts["reject"], error="",
            checked_at=timezone.now(),
        )  # fmt: skip
    record_import.refresh_from_db()
    return record_import


def _message(error: ApplicationError) -> str:
    details = "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in (error.errors or {}).items())
    return f"{error} {details}".strip()


def _failed(record_import: RecordImport, message: str) -> RecordImport:
    RecordImport.objects.filter(pk=record_import.pk).update(status=RecordImport.Status.FAILED, error=message[:2000])
    record_import.refresh_from_db()
    return record_import


def import_confirm(*, record_import: RecordImport, user, inline: bool | None = None) -> RecordImport:
    """The owner confirms a checked import: its accepted rows are written, all or nothing."""
    if not may_follow(user, record_import):
        raise PermissionDenied(_("This import is not yours."))
    path = import_root() / record_import.file_path
    size = path.stat().st_size if path.is_file() else 0
    inline = inline if inline is not None else size <= INLINE_BYTES
    with transaction.atomic():
        locked = RecordImport.objects.select_for_update().get(pk=record_import.pk)
        if locked.status != RecordImport.Status.CHECKED:
            raise ApplicationError(
                _("Only a checked import can be confirmed."),
                errors={"status": [_("This import is %(status)s.") % {"status": locked.get_status_display().lower()}]},
            )
        if locked.to_create + locked.to_update == 0:
            raise ApplicationError(_("Nothing to import."), errors={"status": [_("No row would be written.")]})
        RecordImport.objects.filter(pk=locked.pk).update(status=RecordImport.Status.IMPORTING, progress=0)
        # In the same transaction: never an import `importing` that no worker will write.
        if not inline:
            from field.import_tasks import import_write_run

            outbox.enqueue(import_write_run, args=[record_import.pk])
    if inline:
        import_write(record_import_id=record_import.pk, user=user)
    record_import.refresh_from_db()
    return record_import


def import_write(*, record_import_id: int, user=None) -> RecordImport:
    """Checks the file again inside the write's transaction and writes the rows the dry run
    accepted; if any of them is refused now (the data changed since), nothing is written."""
    record_import = RecordImport.objects.select_related("organisation", "mapping").get(pk=record_import_id)
    if record_import.status != RecordImport.Status.IMPORTING:
        return record_import
    user = user or record_import.owner
    kind = imports.TYPES[record_import.record_type]
    accepted = dict(
        ImportRow.objects.filter(record_import=record_import)
        .exclude(action=ImportRow.Action.REJECT)
        .values_list("number", "action")
    )
    with translation.override(record_import.language or settings.LANGUAGE_CODE), side_connection() as side:

        def progress(done: int, total: int) -> None:
            with side.cursor() as cursor:
                cursor.execute("UPDATE field_recordimport SET progress = %s WHERE id = %s",
                               [min(99, round(100 * done / max(total, 1))), record_import.pk])  # fmt: skip

        try:
            with transaction.atomic():
                lines = _staged(record_import, user) or _lines(record_import, user)
                for line in lines:
                    before = accepted.get(line.number)
                    if before is None:
                        line.action = ImportRow.Action.REJECT
                    elif line.action != before:
                        raise imports.ImportChanged(line.number, line.errors or line.action)
                reason = _("Import #%(id)s: %(file)s") % {"id": record_import.pk, "file": record_import.file_name}
                imports.write(lines, kind, user=user, organisation=record_import.organisation, reason=reason,
                              progress=progress)  # fmt: skip
                _record_ids(record_import, lines)
                RecordImport.objects.filter(pk=record_import.pk).update(
                    status=RecordImport.Status.IMPORTED, progress=100, imported_at=timezone.now(), error=""
                )
        except imports.ImportChanged as changed:
            number, why = changed.args
            message = _(
                "Row %(row)s is no longer what the check found (%(why)s): nothing was imported. Check the file again."
            )
            return _failed(record_import, message % {"row": number, "why": why})
        except (ImportFileError, PermissionDenied) as error:
            return _failed(record_import, str(error))
    record_import.refresh_from_db()
    return record_import


def _staged(record_import: RecordImport, user) -> list[imports.Line] | None:
    """The new incidents the check built, when they can be written as they are (field.imports_staging):
    a file of new incidents only, the places and catalogue unchanged, no external id taken since."""
    if record_import.record_type != "incidents" or record_import.to_update:
        return None
    lines = imports_staging.staged_lines((import_root() / record_import.file_path).parent)
    if lines is None:
        return None
    kind = imports.TYPES["incidents"]
    policy.check_report_for(user, kind.model, record_import.organisation)
    taken = kind.model.all_objects.filter(
        organisation=record_import.organisation,
        external_id__in=[line.external_id for line in lines if line.external_id],
    )
    return None if taken.exists() else lines


def _record_ids(record_import: RecordImport, lines: list[imports.Line]) -> None:
    """Each written row's record, in one statement."""
    written = [(line.number, line.record_id) for line in lines if line.record_id is not None]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE field_importrow r SET record_id = w.record_id FROM unnest(%s::int[], %s::bigint[]) "
            "AS w(number, record_id) WHERE r.record_import_id = %s AND r.number = w.number",
            [[number for number, _ in written], [pk for _, pk in written], record_import.pk],
        )


def mapping_save(*, user, name: str, record_type: str, columns: dict, values: dict, organisation=None) -> ImportMapping:
    """Creates or replaces a named mapping; its organisation's data managers and the authority
    share it."""
    problems = {}
    if record_type not in dict(IMPORT_TYPES):
        problems["record_type"] = [_("Choose one of: %(types)s.") % {"types": ", ".join(dict(IMPORT_TYPES))}]
    if not isinstance(columns, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        problems["columns"] = [_("Give an object of source column names to field names.")]
    if not isinstance(values, dict) or not all(
        isinstance(table, dict) and all(isinstance(v, str) for v in table.values()) for table in values.values()
    ):
        problems["values"] = [_("Give an object of field names to objects of source values to our values.")]
    if problems:
        raise ApplicationError(_("The mapping is not valid."), errors=problems)
    if not user.has_perm(registry.by_slug(record_type).permission("add")):
        raise PermissionDenied(_("Your role does not report these records."))
    existing = ImportMapping.objects.filter(name=name).first()
    theirs = existing is not None and existing.organisation_id not in (None, getattr(organisation, "pk", None))
    if theirs and not policy.is_authority(user):
        raise PermissionDenied(_("This mapping belongs to another organisation: choose another name."))
    mapping, _created = ImportMapping.objects.update_or_create(
        name=name, defaults={"record_type": record_type, "columns": columns, "values": values,
                             "organisation": organisation, "created_by": _person(user)},
    )  # fmt: skip
    return mapping
