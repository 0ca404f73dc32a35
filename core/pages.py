"""What every record type's pages share: a list with the API's filters, sorting and paging, a
record's page with its history, workflow and links, and create and edit forms.

Reads start from `core.selectors.scoped`, as the admin's do, writes end in
the domain services, and each button is shown only when `core.policy` would allow its action. A
domain app subclasses these views in its own `views.py` and lists its URLs with `record_urls`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils.formats import localize
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.selectors import is_authority, user_organisation
from core import policy, registry
from core.display import format_area
from core.exceptions import ApplicationError, RecordChanged
from core.forms import add_errors
from core.history import ACTION_LABELS as DONE_LABELS
from core.history import record_history_for
from core.models import ReportedRecord
from core.selectors import scoped
from core.services import record_lock_as_read
from core.workflow import ACTION_LABELS, TRANSITIONS, record_transition

PAGE_SIZE = 50


# --- Which pages exist, for the menu -------------------------------------------------------


@dataclass(frozen=True)
class PagesEntry:
    name: str
    model: type[Model]
    order: int

    @property
    def label(self):
        return self.model._meta.verbose_name_plural


_pages: dict[str, PagesEntry] = {}


def pages_entries() -> list[PagesEntry]:
    return sorted(_pages.values(), key=lambda entry: entry.order)


def page_name_for(model: type[Model]) -> str | None:
    """The name of a record type's pages (`record_urls`), or None when it has none."""
    model = model._meta.concrete_model
    for entry in _pages.values():
        if entry.model is model:
            return entry.name
    return None


def record_url(record: Model, view: str = "detail") -> str | None:
    """The page of a record (or of the report it belongs to), or None when it has none."""
    for entry in _pages.values():
        if entry.model is record._meta.concrete_model:
            return reverse(f"{entry.name}-{view}", args=[record.pk])
    try:
        owner = registry.get(record).owner(record)
    except LookupError:
        return None
    return record_url(owner, view) if owner is not record else None


def record_urls(name: str, *, list_view, detail_view, create_view=None, update_view=None, order: int = 100) -> list:
    """URLs of one record type's pages: `<name>/`, `<name>/new/`, `<name>/<pk>/`, `<name>/<pk>/edit/` and
    `<name>/<pk>/transition/`, named `<name>-list`, `-new`, `-detail`, `-edit` and `-transition`."""
    model = list_view.model
    _pages[name] = PagesEntry(name, model, order)
    urls = [
        path(f"{name}/", list_view.as_view(), name=f"{name}-list"),
        path(f"{name}/<int:pk>/", detail_view.as_view(), name=f"{name}-detail"),
    ]
    if create_view is not None:
        urls.append(path(f"{name}/new/", create_view.as_view(), name=f"{name}-new"))
    if update_view is not None:
        urls.append(path(f"{name}/<int:pk>/edit/", update_view.as_view(), name=f"{name}-edit"))
    if registry.get(model).has_workflow:
        transition = TransitionView.as_view(model=model)
        urls.append(path(f"{name}/<int:pk>/transition/", transition, name=f"{name}-transition"))
    return urls


# Work pages of apps above core (label, URL name, who sees it), added by their AppConfig.ready().
_WORK_PAGES: list[tuple[str, str, Callable[[object], bool]]] = []


def register_work_page(label, url_name: str, allowed: Callable[[object], bool]) -> None:
    """An app's page in the menu's work items, shown to the users `allowed` accepts."""
    _WORK_PAGES.append((label, url_name, allowed))


def navigation(request: HttpRequest) -> dict:
    """The menu (a context processor): the dashboard, the map, the record types the user may read
    (one drop-down, so that the menu fits a laptop's and a phone's width), and the work lists."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    records = [
        (entry.label, f"{entry.name}-list")
        for entry in pages_entries()
        if user.has_perm(registry.get(entry.model).permission("view"))
    ]
    work = [(_("Approval queue"), "approval-queue")]
    if policy.may_merge(user):
        work.append((_("Reconciliation"), "reconciliation"))
    if is_authority(user):
        work.append((_("Data quality"), "quality:report"))
    work += [(label, url_name) for label, url_name, allowed in _WORK_PAGES if allowed(user)]
    work.append((_("Exports"), "reports:exports"))
    # Whoever reads statistics generates treaty reports (reports.services.may_generate_reports).
    if policy.may_read_statistics(user):
        work.append((_("Treaty reports"), "reports:treaty"))
    menu = _menu_items(request, [(_("Dashboard"), "home"), (_("Map"), "map")])
    children = _menu_items(request, records)
    if children:
        menu.append({"label": _("Records"), "children": children, "current": any(c["current"] for c in children)})
    menu += _menu_items(request, work)
    return {"navigation": menu, "may_use_second_factor": is_authority(user)}


def _menu_items(request: HttpRequest, items: list[tuple]) -> list[dict]:
    menu = []
    for label, url_name in items:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        current = request.path == url if url == "/" else request.path.startswith(url)
        menu.append({"label": label, "url": url, "current": current})
    return menu


# --- Lists ---------------------------------------------------------------------------------


class RecordListView(LoginRequiredMixin, TemplateView):
    """Subclasses set `model`, `filterset_class` (the API's), `columns` (field names, or
    (label, callable) pairs), `ordering_fields`, and may set `select_related`."""

    template_name = "core/record_list.html"
    model: type[Model] = None
    filterset_class = None
    columns: tuple = ()
    ordering_fields: tuple[str, ...] = ()
    default_ordering = ("-updated_at", "-id")
    select_related: tuple[str, ...] = ()
    page_name: str = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(registry.get(self.model).permission("view")):
            raise PermissionDenied(_("Your role does not read these records."))
        return super().dispatch(request, *args, **kwargs)

    def records(self) -> QuerySet:
        queryset = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return scoped(queryset, self.request.user)

    def ordering(self) -> tuple[list[str], str]:
        asked = self.request.GET.get("ordering", "")
        if asked.lstrip("-") in self.ordering_fields:
            return [asked, "-id" if asked.startswith("-") else "id"], asked
        return list(self.default_ordering), ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = self.request.GET.copy()
        for name in ("page", "ordering"):
            data.pop(name, None)
        filterset = self.filterset_class(data=data or None, queryset=self.records(), request=self.request)
        _labels_in_the_readers_language(filterset)
        queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else self.records().none()
        if not filterset.is_bound:
            queryset = self.records()
        order_by, ordering = self.ordering()
        paginator = Paginator(queryset.order_by(*order_by), PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("ordering", None)
        context.update(
            model_label=self.model._meta.verbose_name_plural,
            filter_form=filterset.form,
            filters_open=filterset.is_bound,
            page_obj=page,
            headers=self.headers(ordering, sort_query.urlencode()),
            rows=[(self.detail_url(record), self.cells(record)) for record in page.object_list],
            query=query.urlencode(),
            create_url=self.create_url(),
            name=self.page_name,
        )
        return context

    def detail_url(self, record) -> str:
        return reverse(f"{self.page_name}-detail", args=[record.pk])

    def create_url(self) -> str | None:
        user = self.request.user
        entry = registry.get(self.model)
        if not user.has_perm(entry.permission("add")) or (entry.authority_writes and not is_authority(user)):
            return None
        try:
            return reverse(f"{self.page_name}-new")
        except NoReverseMatch:
            return None

    def headers(self, ordering: str, query: str) -> list[dict]:
        headers = []
        for column in self.columns:
            name, label = self._column_name_label(column)
            header = {"label": label, "url": None, "sort": None}
            if name in self.ordering_fields:
                descending = ordering == name
                header["url"] = f"?{query + '&' if query else ''}ordering={'-' if descending else ''}{name}"
                if ordering.lstrip("-") == name:
                    header["sort"] = "descending" if ordering.startswith("-") else "ascending"
            headers.append(header)
        return headers

    def _column_name_label(self, column) -> tuple[str, str]:
        if isinstance(column, tuple):
            return "", column[0]
        try:
            return column, capfirst(self.model._meta.get_field(column).verbose_name)
        except FieldDoesNotExist:
            return column, column

    def cells(self, record) -> list[str]:
        return [
            column[1](record) if isinstance(column, tuple) else display_value(record, column) for column in self.columns
        ]


def _labels_in_the_readers_language(filterset) -> None:
    """django-filter keeps a label it derived from the model, and the form field built with it, once
    read (the API's schema reads them) in that moment's language: both are made again for this
    reader; a label given as a lazy translation is kept."""
    for filter_ in filterset.filters.values():
        if isinstance(filter_._label, str):
            filter_._label = None
        filter_.__dict__.pop("_field", None)


def display_value(record: Model, name: str):
    """A field as a reader expects it: choices by their label, areas in m² and ha, dates in the
    user's format, related records by their name."""
    if name.endswith("_m2"):
        return format_area(getattr(record, name))
    getter = getattr(record, f"get_{name}_display", None)
    value = getter() if getter is not None else getattr(record, name)
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "–"
    return localize(value)


# --- A record's page -----------------------------------------------------------------------


class RecordDetailView(LoginRequiredMixin, TemplateView):
    """Subclasses set `model`, `fields` (sections: (title, field names)) and may define
    `linked(record)`: sections of linked records, (title, [(text, url or None)])."""

    template_name = "core/record_detail.html"
    model: type[Model] = None
    fields: tuple = ()
    select_related: tuple[str, ...] = ()
    page_name: str = ""

    def get_record(self) -> Model:
        queryset = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        # A record the user may not read does not exist for them: 404, as in the API.
        return get_object_or_404(scoped(queryset, self.request.user), pk=self.kwargs["pk"])

    def linked(self, record) -> list[tuple[str, list[tuple[str, str | None]]]]:
        return []

    def sections(self, record) -> list[tuple[str, list[tuple[str, object]]]]:
        hidden = set()
        entry = registry.get(self.model)
        if entry.personal_fields and not policy.may_read_personal_fields(self.request.user, record):
            hidden = set(entry.personal_fields)
        sections = []
        for title, names in self.fields:
            rows = []
            for name in names:
                if name in hidden:
                    continue
                try:
                    label = capfirst(self.model._meta.get_field(name).verbose_name)
                except FieldDoesNotExist:
                    label = name
                rows.append((label, display_value(record, name)))
            sections.append((title, rows))
        return sections

    def geometry(self, record):
        field = registry.get(self.model).geometry_field
        return getattr(record, field, None) if field and "__" not in field else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = self.get_record()
        user = self.request.user
        entry = registry.get(self.model)
        geometry = self.geometry(record)
        context.update(
            record=record,
            model_label=self.model._meta.verbose_name,
            list_url=reverse(f"{self.page_name}-list"),
            sections=self.sections(record),
            linked=self.linked(record),
            history=record_history_for(record, user),
            geometry=geometry.geojson if geometry is not None else None,
            edit_url=self._edit_url(record),
            workflow=workflow_actions(user, record, self.page_name) if entry.has_workflow else [],
        )
        return context

    def _edit_url(self, record) -> str | None:
        if not policy.may_change(self.request.user, record):
            return None
        try:
            return reverse(f"{self.page_name}-edit", args=[record.pk])
        except NoReverseMatch:
            return None


def workflow_actions(user, record: Model, page_name: str) -> list[dict]:
    """The workflow moves this user may make on this record now, for its buttons."""
    actions = []
    for action, rule in TRANSITIONS.items():
        if record.status in rule.sources and policy.may_transition(user, record, action):
            actions.append(
                {
                    "action": action,
                    "label": capfirst(ACTION_LABELS[action]),
                    "needs_reason": rule.needs_reason,
                    "url": reverse(f"{page_name}-transition", args=[record.pk]),
                }
            )
    return actions


class TransitionView(LoginRequiredMixin, View):
    """POST `action`, `version` (the one the page showed) and `reason`: one workflow move through
    `core.workflow.record_transition`, then back to where the form was (`next`)."""

    model: type[Model] = None
    http_method_names = ["post"]

    def post(self, request, pk: int):
        record = get_object_or_404(scoped(self.model._default_manager.all(), request.user), pk=pk)
        action = request.POST.get("action", "")
        target = safe_next(request) or record_url(record) or "/"
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            record_transition(
                record=record, user=request.user, action=action, reason=request.POST.get("reason", ""), version=version
            )
        except RecordChanged:
            messages.error(request, _("%(record)s was changed since you opened it: read it again, then decide.")
                           % {"record": record})  # fmt: skip
        except ApplicationError as exc:
            details = " ".join(str(m) for msgs in (exc.errors or {}).values() for m in msgs)
            messages.error(request, f"{record}: {details or exc.message}")
        except PermissionDenied as exc:
            messages.error(request, f"{record}: {exc}")
        else:
            # "submitted", "approved": the act as the record's history names it.
            label = DONE_LABELS.get(action, action)
            messages.success(request, _("%(record)s: %(action)s.") % {"record": record, "action": label})
        return HttpResponseRedirect(target)


def safe_next(request) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return None


# --- Forms ---------------------------------------------------------------------------------


class RecordFormView(LoginRequiredMixin, TemplateView):
    """A record's create or edit page. Subclasses set `model`, `form_class` and define
    `save(form, record)`, which calls the domain service (record is None on creation) and
    returns the saved record; a refusal of the service is shown on the form's fields. An edit
    carries the version it was opened on: a record changed since is not written over (409)."""

    template_name = "core/record_form.html"
    model: type[Model] = None
    form_class: type[forms.BaseForm] = None
    page_name: str = ""

    def get_record(self) -> Model | None:
        if "pk" not in self.kwargs:
            entry = registry.get(self.model)
            user = self.request.user
            if not user.has_perm(entry.permission("add")) or (entry.authority_writes and not is_authority(user)):
                raise PermissionDenied(_("Your role does not add these records."))
            return None
        record = get_object_or_404(scoped(self.model._default_manager.all(), self.request.user), pk=self.kwargs["pk"])
        policy.check_change(self.request.user, record)
        return record

    def form_kwargs(self, record) -> dict:
        kwargs = {"user": self.request.user}
        if issubclass(self.form_class, forms.ModelForm):
            kwargs["instance"] = record
        return kwargs

    def get(self, request, *args, **kwargs):
        record = self.get_record()
        form = self.form_class(**self.form_kwargs(record), initial=self.initial(record))
        return self.render_to_response(self.get_context_data(form=form, record=record))

    # The version of the record the form was opened on, sent back with it (core/record_form.html).

    def version_read(self) -> int | None:
        try:
            return int(self.request.POST.get("version", ""))
        except ValueError:
            return None

    def as_read(self, record):
        """The record locked for the save, if no one changed it since the form was opened
        (core.services.record_lock_as_read); None, on creation, stays None."""
        if record is None:
            return None
        return record_lock_as_read(record=record, user=self.request.user, version=self.version_read())

    def refuse_stale(self, form, record) -> None:
        form.add_error(None, _("%(record)s was changed since you opened it: read it again, then decide.")
                       % {"record": record})  # fmt: skip
        # 409, as RFC 9110 (15.5.10) says of a version sent in the body that conflicts with an
        # earlier change; the API's If-Match header gets 412.
        self.error_status = 409

    # A form refused by its fields or by a service; 409 for a record changed since it was read.
    error_status = 400

    def initial(self, record) -> dict:
        organisation = user_organisation(self.request.user)
        if record is None and organisation is not None and issubclass(self.model, ReportedRecord):
            return {"organisation": organisation.pk}
        return {}

    def post(self, request, *args, **kwargs):
        record = self.get_record()
        form = self.form_class(request.POST, request.FILES, **self.form_kwargs(record))
        if form.is_valid():
            saved = self.save_or_errors(form, record)
            if saved is not None:
                messages.success(request, _("%(record)s was saved.") % {"record": saved})
                return HttpResponseRedirect(record_url(saved) or reverse(f"{self.page_name}-list"))
        return self.render_to_response(self.get_context_data(form=form, record=record), status=self.error_status)

    def save_or_errors(self, form, record):
        try:
            with transaction.atomic():
                return self.save(form, self.as_read(record))
        except RecordChanged:
            self.refuse_stale(form, record)
        except ApplicationError as exc:
            add_errors(form, exc.errors or {"non_field_errors": [exc.message]})
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        return None

    def save(self, form, record):
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to save with: define save().")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = kwargs.get("record")
        # Sent again as it came: a form shown again keeps the version it was opened on.
        version = self.version_read() if self.request.method == "POST" else None
        context.update(
            model_label=self.model._meta.verbose_name,
            cancel_url=record_url(record) if record else reverse(f"{self.page_name}-list"),
            version_read=version if version is not None else getattr(record, "version", None),
        )
        return context


class ScopedForm(forms.ModelForm):
    """A record's form for one user: the organisation is the partner's own, and choices of
    related records (an incident, a hazardous area) are those the user may read."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField):
                continue
            related = field.queryset.model
            if name == "organisation" and not is_authority(user):
                own = user_organisation(user)
                field.queryset = related._default_manager.filter(pk=own.pk if own else None)
                continue
            try:
                registry.get(related)
            except LookupError:
                continue
            field.queryset = scoped(field.queryset, user)

    # Sections of the form page: (title, field names); empty: the fields in order.
    sections: tuple = ()

    @property
    def fieldsets(self) -> list:
        return [(title, [self[name] for name in names if name in self.fields]) for title, names in self.sections]

    def service_data(self, *, changed_only: bool = False) -> dict:
        """The cleaned data as a service's input (on an edit, only what changed)."""
        data = {name: value for name, value in self.cleaned_data.items() if name != "organisation"}
        if changed_only:
            data = {name: value for name, value in data.items() if name in self.changed_data}
        return data


class ServiceValidatedForm(ScopedForm):
    """A ScopedForm that only parses its fields: the record as a whole (the model's constraints
    included) is checked by the service, whose messages name the field at fault, rather than by
    the model form, which reports a broken constraint by its name."""

    def _post_clean(self):
        pass
