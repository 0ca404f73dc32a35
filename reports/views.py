"""Pages of exports and treaty reports: the user's exports, followed until their file is ready;
an export asked from a record list's Export control; the treaty report form. A worker writes
each file (reports.services); the page follows it and downloads it through the API
(`/api/v1/exports/<id>/` and `.../download/`)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.generic import TemplateView

from core import registry
from core.exceptions import ApplicationError
from core.forms import add_errors
from core.pages import page_name_for
from reports import services
from reports.forms import FORMAT_LABELS, ExportForm, ReportForm
from reports.models import Export
from reports.selectors import exports_of
from reports.treaty import REPORT_KINDS

PAGE_SIZE = 25
UNFINISHED = (Export.Status.QUEUED, Export.Status.RUNNING)
# The page's own words for the states: "Failed" alone is also a quality check's verdict, translated otherwise.
STATUS_LABELS = {
    Export.Status.QUEUED: pgettext_lazy("export status", "Queued"),
    Export.Status.RUNNING: pgettext_lazy("export status", "Running"),
    Export.Status.DONE: pgettext_lazy("export status", "Done"),
    Export.Status.FAILED: pgettext_lazy("export status", "Failed"),
}
CAPACITY_PERMISSION = "reports.change_clearancecapacity"


def export_label(export: Export) -> str:
    """What an export holds: a treaty report's name and year, or the record type of its list."""
    if export.resource in REPORT_KINDS:
        return _("%(report)s, %(year)s") % {"report": REPORT_KINDS[export.resource], "year": export.filters.get("year")}
    try:
        return capfirst(registry.by_slug(export.resource).label)
    except LookupError:
        return export.resource


def export_list_url(export: Export) -> str | None:
    """The list page the export was asked from, with its filters; None for a report."""
    if export.resource in REPORT_KINDS:
        return None
    try:
        name = page_name_for(registry.by_slug(export.resource).model)
        url = reverse(f"{name}-list") if name else None
    except (LookupError, NoReverseMatch):
        return None
    return f"{url}?{urlencode(export.filters, doseq=True)}" if url and export.filters else url


def _count(value: int) -> str:
    return number_format(value, 0, force_grouping=True)


def _percent(value: int | str) -> str:
    return _("%(value)s%%") % {"value": value}


def export_row(export: Export, now) -> dict:
    """An export as a row of the page, and what the page's script needs to follow it."""
    expired = export.status == Export.Status.DONE and (not export.file_path or export.expires_at <= now)
    return {
        "export": export,
        "label": export_label(export),
        "list_url": export_list_url(export),
        "filters": "" if export.resource in REPORT_KINDS else urlencode(export.filters, doseq=True),
        "format": FORMAT_LABELS.get(export.format, export.format),
        "status": STATUS_LABELS.get(export.status, export.status),
        "progress": _percent(_count(export.progress)),
        "rows": _count(export.rows),
        "unfinished": export.status in UNFINISHED,
        "expired": expired,
        "download_url": None
        if expired or export.status != Export.Status.DONE
        else reverse("export-download", args=[export.pk]),
        "api_url": reverse("export-detail", args=[export.pk]),
    }


class ExportListView(LoginRequiredMixin, TemplateView):
    """`/exports/`: the user's exports, 25 a page; the unfinished ones follow their worker."""

    template_name = "reports/exports.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(exports_of(self.request.user), PAGE_SIZE).get_page(self.request.GET.get("page"))
        now = timezone.now()
        rows = [export_row(export, now) for export in page.object_list]
        context.update(
            page_obj=page,
            rows=rows,
            unfinished=any(row["unfinished"] for row in rows),
            may_generate_reports=services.may_generate_reports(self.request.user),
            # What the script writes into a row, in the page's language.
            script_labels={
                "statuses": {status: str(label) for status, label in STATUS_LABELS.items()},
                "percent": _percent("{value}"),
                "download": _("Download"),
                "expired": _("expired"),
                "done": _("%(what)s: the file is ready to download."),
                "failed": _("%(what)s: the export failed."),
            },
        )
        return context


class ExportRequestView(LoginRequiredMixin, View):
    """`POST /exports/new/` from a record list's Export control: the list as the user sees it with
    its filters, in a format; back to the list with the reason when the export cannot be asked."""

    http_method_names = ["post"]

    def post(self, request):
        form = ExportForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Nothing was exported: %(reason)s") % {"reason": _reasons(form.errors)})
            return HttpResponseRedirect(reverse("reports:exports"))
        entry = registry.get(form.list_view.model)
        query = QueryDict(form.cleaned_data["query"]).urlencode()
        back = form.cleaned_data["list"] + (f"?{query}" if query else "")
        try:
            export = services.export_request(
                user=request.user, resource=entry.slug or "", format=form.cleaned_data["format"], filters=form.filters()
            )
        except ApplicationError as exc:
            # The list shows a filter's error beside its field: the message gives the reason.
            messages.error(request, _("Nothing was exported: %(reason)s") % {"reason": _reasons(exc.errors)})
            return HttpResponseRedirect(back)
        messages.success(
            request,
            _("Your export is being written: %(what)s as %(format)s. Its file can be downloaded here once done.")
            % {"what": export_label(export), "format": FORMAT_LABELS.get(export.format, export.format)},
        )
        return HttpResponseRedirect(reverse("reports:exports"))


def _reasons(errors) -> str:
    return " ".join(str(message) for field_messages in errors.values() for message in field_messages)


class TreatyReportView(LoginRequiredMixin, TemplateView):
    """`/reports/`: a treaty report of a calendar year asked as a file, then followed on `/exports/`;
    for whoever reads statistics (reports.services.may_generate_reports)."""

    template_name = "reports/treaty.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.may_generate_reports(request.user):
            raise PermissionDenied(_("Your role does not read statistics: it does not generate treaty reports."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ReportForm()))

    def post(self, request, *args, **kwargs):
        form = ReportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                export = services.report_request(
                    user=request.user, kind=data["report"], year=data["year"], format=data["format"]
                )
            except ApplicationError as exc:
                add_errors(form, exc.errors or {"non_field_errors": [exc.message]})
            else:
                messages.success(
                    request,
                    _("Your report is being written: %(what)s. Its file can be downloaded here once done.")
                    % {"what": export_label(export)},
                )
                return HttpResponseRedirect(reverse("reports:exports"))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        capacity_url = None
        # The admin opens only to staff; without the permission its page would refuse them.
        if user.is_staff and user.has_perm(CAPACITY_PERMISSION):
            capacity_url = reverse("admin:reports_clearancecapacity_changelist")
        context["capacity_url"] = capacity_url
        return context
