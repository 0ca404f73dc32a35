"""Writes of exports: asking for one (checked and validated at once), and writing its file on a
worker, published whole or not at all."""

import datetime
import logging
import os
import uuid
from collections.abc import Mapping
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import outbox
from core.db import side_connection
from core.exceptions import ApplicationError
from reports import exports
from reports.models import Export
from reports.selectors import export_columns, export_copy_sql, export_entry, export_records, export_rows

logger = logging.getLogger(__name__)


def export_root() -> Path:
    return Path(settings.EXPORT_ROOT)


def export_request(*, user, resource: str, format: str, filters: Mapping | None = None) -> Export:
    """Asks for an export of the list `resource` as the user sees it with `filters`: refused at once
    when the role may not read the record type or a filter is invalid; written by a worker."""
    filters = {} if filters is None else filters
    if format not in exports.LIST_FORMATS:
        raise ApplicationError(
            _("The export is not valid."), errors={"format": [_("Choose csv, xlsx, geojson or gpkg.")]}
        )
    entry = export_entry(resource)
    # As the API list's door (core.api.permissions.RolePermissions): the role reads the type.
    if not getattr(user, "is_authenticated", False) or not user.has_perm(entry.permission("view")):
        raise PermissionDenied(_("Your role may not read %(records)s.") % {"records": entry.label})
    if format in exports.GEO_FORMATS and entry.geometry_field is None:
        raise ApplicationError(
            _("The export is not valid."),
            errors={"format": [_("These records have no geometry: choose csv or xlsx.")]},
        )
    # Validated now, so that a mistake is a field error rather than a failed export later.
    export_records(user=user, resource=resource, filters=filters)
    return _queued(user=user, resource=resource, format=format, filters=dict(filters))


def may_generate_reports(user) -> bool:
    """Treaty reports are national figures: whoever reads statistics may generate them, each
    counting the records they may see (reports.treaty)."""
    from core.policy import may_read_statistics

    return may_read_statistics(user)


def report_request(*, user, kind: str, year, format: str) -> Export:
    """Asks for a treaty report (reports.treaty: Article 7, Article 5 annex, Landmine Monitor,
    CCM) of a calendar year as a file: refused at once when the user may not or an argument is
    wrong; written by a worker, followed and downloaded like an export."""
    from reports import treaty
    from reports.treaty.figures import check_year

    if not may_generate_reports(user):
        raise PermissionDenied(_("Your role does not read statistics."))
    errors = {}
    if kind not in treaty.REPORT_KINDS:
        errors["report"] = [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(treaty.REPORT_KINDS)}]
    if format not in treaty.FORMATS:
        errors["format"] = [_("Choose xlsx, docx or pdf.")]
    try:
        year = check_year(year)
    except ApplicationError as exc:
        errors.update(exc.errors)
    if not errors and kind == "article5":
        # The plan's first year needs a capacity: said now rather than by a failed report later.
        from reports.models import ClearanceCapacity
        from reports.treaty.figures import work_plan

        try:
            work_plan(remaining_m2=1, first_year=year + 1, capacities=list(ClearanceCapacity.objects.all()))
        except ApplicationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ApplicationError(_("The report is not valid."), errors=errors)
    return _queued(user=user, resource=kind, format=format, filters={"year": year})


def _queued(*, user, resource: str, format: str, filters: dict) -> Export:
    """The export saved, in the asker's language, and its task queued once that commits."""
    export = Export(
        owner=user,
        resource=resource,
        format=format,
        filters=filters,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        expires_at=timezone.now() + datetime.timedelta(hours=settings.EXPORT_EXPIRY_HOURS),
    )
    export.full_clean()
    with transaction.atomic():
        export.save()
        from reports.tasks import export_run

        outbox.enqueue(export_run, args=[export.pk])
    return export


def _final_name(export: Export) -> str:
    return f"{export.resource}-{export.pk}.{export.format}"


def _remove_partials(export: Export) -> None:
    """Temporary files of an earlier attempt whose worker died."""
    for partial in export_root().glob(f".{_final_name(export)}.*.partial*"):
        partial.unlink(missing_ok=True)


def export_write(*, export_id: int) -> None:
    """Writes the export's file. Delivered again after a worker died, it starts over: the file is
    written under a temporary name and renamed (atomically) only once complete, so a half-written
    file is never published. A finished export (done or failed) is left as it is."""
    export = Export.objects.filter(pk=export_id).select_related("owner").first()
    if export is None or export.status in (Export.Status.DONE, Export.Status.FAILED):
        return
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING, progress=0, rows=0, error="")
    root = export_root()
    temporary = None
    with translation.override(export.language or settings.LANGUAGE_CODE):
        try:
            root.mkdir(parents=True, exist_ok=True)
            _remove_partials(export)
            final = root / _final_name(export)
            temporary = root / f".{final.name}.{uuid.uuid4().hex}.partial"
            if _is_report(export):
                counted = _write_report(export, temporary)
                os.replace(temporary, final)
                _sync_folder(root)
                return _done(export, final, counted)
            entry = export_entry(export.resource)
            records = export_records(user=export.owner, resource=export.resource, filters=export.filters)
            total = records.count()
            columns = export_columns(entry, geometry=export.format in exports.GEO_FORMATS)

            def progress(rows: int) -> None:
                percent = min(99, rows * 100 // total) if total else 0
                Export.objects.filter(pk=export.pk).update(progress=percent, rows=rows)

            counted = 0

            def counting(rows):
                nonlocal counted
                for row in rows:
                    counted += 1
                    yield row

            if export.format == "csv":
                # PostgreSQL formats CSV itself: no row becomes a Python object. The connection
                # is busy with the COPY: progress goes through a connection of its own.
                statement, params = export_copy_sql(records, columns)
                with side_connection() as side:

                    def copy_progress(rows: int) -> None:
                        percent = min(99, rows * 100 // total) if total else 0
                        with side.cursor() as cursor:
                            cursor.execute(
                                "UPDATE reports_export SET progress = %s, rows = %s WHERE id = %s",
                                [percent, rows, export.pk],
                            )

                    counted = exports.write_csv_copy(temporary, columns.names, statement, params, copy_progress)
            else:
                exports.write(
                    export.format, temporary, columns.names, counting(export_rows(records, columns)), progress,
                    layer=export.resource.replace("-", "_"),
                )  # fmt: skip
            os.replace(temporary, final)
            _sync_folder(root)
        # Every failure is told to the owner, and logged.
        except Exception as exc:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
            message = _failure_message(exc, export)
            logger.exception("export %s failed", export.pk)
            Export.objects.filter(pk=export.pk).update(
                status=Export.Status.FAILED, error=message, finished_at=timezone.now()
            )
            return
    _done(export, final, counted)


def _done(export: Export, final: Path, rows: int) -> None:
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE,
        progress=100,
        rows=rows,
        file_path=final.name,
        error="",
        finished_at=timezone.now(),
    )


def _is_report(export: Export) -> bool:
    from reports import treaty

    return export.resource in treaty.REPORT_KINDS


def _write_report(export: Export, path: Path) -> int:
    """The report's figures, computed for its owner, written to `path`; the records counted."""
    from reports import treaty

    report = treaty.build_report(export.resource, year=export.filters.get("year"), user=export.owner)
    Export.objects.filter(pk=export.pk).update(progress=50)
    treaty.write_report(report, format=export.format, path=path)
    return report.counted_rows


def _sync_folder(folder: Path) -> None:
    # The rename itself survives a power cut only once the folder is synced.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _failure_message(exc: Exception, export: Export) -> str:
    if isinstance(exc, ApplicationError) and _is_report(export):
        details = " ".join(" ".join(str(m) for m in messages) for messages in exc.errors.values())
        return _("The report could not be written: %(details)s") % {"details": details or exc.message}
    if isinstance(exc, ApplicationError):
        details = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.errors.items())
        return _("The list can no longer be exported with these filters (%(details)s).") % {"details": details}
    if isinstance(exc, SoftTimeLimitExceeded):
        return _("The export took longer than allowed: narrow the filters and ask again.")
    if isinstance(exc, OSError):
        return _("The file could not be written on the server (%(reason)s).") % {
            "reason": exc.strerror or exc.__class__.__name__
        }
    if isinstance(exc, exports.ExportWriteError):
        return _("The file could not be converted (%(reason)s).") % {"reason": str(exc)}
    return _("The export failed on the server; an administrator can find export %(id)s in the log.") % {"id": export.pk}


def exports_expire(*, now: datetime.datetime | None = None) -> int:
    """Deletes the files of exports past their expiry, and temporary files left by dead workers;
    the rows stay, saying the file has expired. Returns the number of files deleted."""
    now = now or timezone.now()
    root = export_root()
    deleted = 0
    for export in Export.objects.filter(expires_at__lte=now).exclude(file_path=""):
        (root / export.file_path).unlink(missing_ok=True)
        Export.objects.filter(pk=export.pk).update(file_path="")
        deleted += 1
    if root.is_dir():
        stale = now.timestamp() - settings.CELERY_TASK_TIME_LIMIT * 2
        for partial in root.glob(".*.partial*"):
            if partial.stat().st_mtime < stale:
                partial.unlink(missing_ok=True)
                deleted += 1
    return deleted
