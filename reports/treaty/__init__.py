"""Treaty reports from the approved national database: the APMBC Article 7 report, the annex of an
Article 5 extension request, the Landmine Monitor casualty table and the CCM Article 7 report,
written as XLSX, DOCX or PDF.

    report = build_report("article7", year=2024)            # the whole national database
    write_report(report, format="xlsx", path="article7-2024.xlsx")

Every figure lists the records it counted (`Report.counted`), so that an officer can trace a
number back to its records.
"""

from collections import OrderedDict
from contextlib import contextmanager
from os import PathLike

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from reports.treaty.structure import Column, Counted, CountedRecord, Report, Row, Section, Table

REPORT_KINDS = OrderedDict(
    [
        ("article7", gettext_lazy("APMBC Article 7 report")),
        ("article5", gettext_lazy("APMBC Article 5 extension request: annex")),
        ("monitor", gettext_lazy("Landmine Monitor casualty table")),
        ("ccm", gettext_lazy("CCM Article 7 report")),
    ]
)
FORMATS = ("xlsx", "docx", "pdf")

__all__ = [
    "FORMATS",
    "REPORT_KINDS",
    "Column",
    "Counted",
    "CountedRecord",
    "Report",
    "Row",
    "Section",
    "Table",
    "build_report",
    "write_report",
]


def _titles(kind: str, year: int) -> str:
    return {
        "article7": _("Anti-Personnel Mine Ban Convention, Article 7 report: calendar year %(year)s"),
        "article5": _("Anti-Personnel Mine Ban Convention, Article 5 extension request: remaining contamination, "
                      "progress and work plan (situation on 31 December %(year)s)"),
        "monitor": _("Landmine Monitor casualty table: %(year)s"),
        "ccm": _("Convention on Cluster Munitions, Article 7 report: calendar year %(year)s"),
    }[kind] % {"year": year}  # fmt: skip


def _scope(user) -> str:
    if user is None:
        return _("The whole national database")
    from accounts.selectors import user_organisation

    organisation = user_organisation(user)
    who = user.get_username()
    if organisation is not None:
        who = f"{who} ({organisation.acronym})"
    return _("The records visible to %(user)s") % {"user": who}


@contextmanager
def _snapshot():
    """Every query of a report reads one snapshot of the database, so that the figures and the
    records they list agree even while others approve records."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def build_report(kind: str, *, year: int, user=None) -> Report:
    """The figures of a report for the calendar `year`, labelled in the active language.

    `user=None` reads the whole national database; with a user, only the records
    `core.selectors.records_visible` gives them. Only approved, non-deleted records count.
    Raises `ApplicationError` (field errors `kind`, `year`, `capacity`) for an unknown kind, a year
    outside 1990..this year, or an Article 5 annex without a clearance capacity.
    """
    from reference.country import country
    from reports.treaty import article5, article7, ccm, figures, monitor
    from reports.treaty.tables import Context

    if kind not in REPORT_KINDS:
        raise ApplicationError(
            _("The report cannot be generated."),
            errors={"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(REPORT_KINDS)}]},
        )
    figures.check_year(year)
    with _snapshot():
        context = Context(year=year, user=user, names=figures.area_names())
        recorded = True
        if kind == "article7":
            built = article7.article7(context)
        elif kind == "article5":
            built = article5.article5(context)
        elif kind == "monitor":
            built = monitor.monitor(context)
        else:
            recorded = figures.cluster_munitions_recorded(user)
            built = ccm.ccm(context, recorded=recorded)
        report = Report(
            kind=kind,
            title=_titles(kind, year),
            year=year,
            scope=_scope(user),
            generated_at=timezone.localtime().replace(microsecond=0),
            language=translation.get_language() or "",
            sections=built,
        )
    report.notes = [
        _("%(country)s. %(scope)s, as on %(date)s.")
        % {"country": country().name(), "scope": report.scope, "date": report.generated_at.strftime("%Y-%m-%d %H:%M")},
        _("Only approved records count; deleted and merged records never do. A date known only by its month or year "
          "counts in the year it lies in."),
        _("Every figure lists the records it counted: see the list of records counted."),
    ]  # fmt: skip
    if not recorded:
        report.notes.insert(
            1,
            _("No cluster munition remnant is recorded in the national database: no contaminated area, no item found "
              "and no incident."),
        )  # fmt: skip
    return report


def write_report(report: Report, *, format: str, path: str | PathLike) -> None:
    """Writes the report as `format` ("xlsx", "docx" or "pdf") at `path`, in the active language."""
    from reports.treaty import documents

    if format not in FORMATS:
        raise ApplicationError(
            _("The report cannot be written."),
            errors={"format": [_("Choose one of: %(formats)s.") % {"formats": ", ".join(FORMATS)}]},
        )
    documents.WRITERS[format](report, path)
