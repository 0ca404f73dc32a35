"""The import pages: send a file, read the dry run's report, confirm. The services decide
(field.services); a file checked or written by a worker is followed by reloading the page."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import ngettext
from django.views import View

from core.exceptions import ApplicationError
from core.forms import add_errors
from core.pages import page_name_for
from field import imports, services
from field.forms import ImportForm
from field.models import ImportRow, RecordImport
from field.selectors import import_of, imports_of

ROWS_PER_PAGE = 50
UNFINISHED = (RecordImport.Status.CHECKING, RecordImport.Status.IMPORTING)


class ImportListView(LoginRequiredMixin, View):
    template_name = "field/imports.html"

    def get(self, request):
        return self._page(request, ImportForm(user=request.user))

    def post(self, request):
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                record_import = services.import_start(
                    user=request.user, organisation=data.get("organisation"), record_type=data["record_type"],
                    name=upload.name, chunks=upload.chunks(), mapping=data["mapping"],
                )  # fmt: skip
            except ApplicationError as error:
                add_errors(form, error.errors or {"non_field_errors": [str(error)]})
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                return HttpResponseRedirect(reverse("field:import", args=[record_import.pk]))
        return self._page(request, form, status=400)

    def _page(self, request, form, status=200):
        page = Paginator(imports_of(request.user), 25).get_page(request.GET.get("page"))
        return render(request, self.template_name, {"form": form, "page_obj": page, "imports": page.object_list},
                      status=status)  # fmt: skip


def _own(request, pk) -> RecordImport:
    record_import = import_of(request.user, pk)
    if record_import is None:
        raise Http404
    return record_import


class ImportDetailView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        record_import = _own(request, pk)
        action = request.GET.get("action", "")
        rows = record_import.lines.order_by("number")
        if action in ImportRow.Action.values:
            rows = rows.filter(action=action)
        page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        # Each written row links to its record's page.
        name = page_name_for(imports.TYPES[record_import.record_type].model)
        for row in page.object_list:
            row.url = reverse(f"{name}-detail", args=[row.record_id]) if name and row.record_id else None
        context = {
            "record_import": record_import, "page_obj": page, "rows": page.object_list, "action": action,
            "query": urlencode({"action": action}) if action else "",
            "actions": ImportRow.Action.choices, "unfinished": record_import.status in UNFINISHED,
            "may_confirm": record_import.status == RecordImport.Status.CHECKED
            and record_import.to_create + record_import.to_update > 0,
        }  # fmt: skip
        return render(request, "field/import.html", context)


class ImportConfirmView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        record_import = _own(request, pk)
        try:
            record_import = services.import_confirm(record_import=record_import, user=request.user)
        except ApplicationError as error:
            messages.error(request, " ".join(m for ms in (error.errors or {}).values() for m in ms) or str(error))
        else:
            if record_import.status == RecordImport.Status.IMPORTED:
                written = record_import.to_create + record_import.to_update
                message = ngettext("%(count)s record imported, as submitted.",
                                   "%(count)s records imported, as submitted.", written)  # fmt: skip
                messages.success(request, message % {"count": written})
            elif record_import.status == RecordImport.Status.FAILED:
                messages.error(request, record_import.error)
        return HttpResponseRedirect(reverse("field:import", args=[record_import.pk]))
