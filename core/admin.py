"""What every admin page of the national database shares: maps, audit fields, and a door like
the API's. Lists are scoped by `core.selectors`, each record's rights come from `core.policy`,
and every write, of a record or of an inline row, goes through the domain services, so that
the admin obeys the same rules, raises the same versions and leaves the same history."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.gis import forms as gis_forms
from django.contrib.gis.db import models as gis_models
from django.contrib.gis.geos import MultiPolygon
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import router, transaction
from django.db.models import Model, ProtectedError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import is_authority, user_organisation
from core import policy, registry
from core.bulk import BULK_TRANSITION_MAX_RECORDS, Outcome, records_transition
from core.exceptions import ApplicationError, RecordChanged
from core.forms import add_errors
from core.history import actor_labels, record_history_for, recorded
from core.models import RecordStatus, ReportedRecord
from core.selectors import scoped
from core.services import part_delete, record_lock_as_read
from core.widgets import MapWidget
from core.workflow import ACTION_LABELS, TRANSITIONS, record_delete, record_transition

AUDIT_FIELDS = ("created_at", "created_by", "updated_at", "updated_by")
# Who wrote a record, as the reader may know it (core.history.actor_labels).
AUDIT_ACTORS = {"created_by": "created_by_actor", "updated_by": "updated_by_actor"}


class PolygonOrMultiPolygonField(gis_forms.MultiPolygonField):
    """Accepts one polygon where several parts are allowed: most areas have one part."""

    def to_python(self, value):
        geom = super(gis_forms.MultiPolygonField, self).to_python(value)
        if geom is not None and geom.geom_type == "Polygon":
            geom = MultiPolygon(geom, srid=geom.srid)
        return geom

    def clean(self, value):
        geom = self.to_python(value)
        if geom is None:
            return super().clean(value)
        # The parent's type check sees the promoted multipolygon.
        return super().clean(geom.ewkt)


class MapAdminMixin:
    """OpenStreetMap widget centred on the country, with OpenLayers from our static files."""

    gis_widget = MapWidget

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, gis_models.MultiPolygonField):
            kwargs["form_class"] = PolygonOrMultiPolygonField
        if isinstance(db_field, gis_models.GeometryField):
            self.gis_widget_kwargs = {"attrs": _map_centre()}
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def _map_centre() -> dict:
    # The country comes from configuration, not from code: the manifest's extent, else the box
    # of the country's boundary.
    from reference.selectors import country_extent

    extent = country_extent()
    if extent is None:
        return {"default_zoom": 2}
    lon, lat = extent.centre
    return {"default_lon": lon, "default_lat": lat, "default_zoom": extent.zoom()}


# --- Refusals of the services, shown on the forms -------------------------------------------


class ServiceRefused(Exception):
    """A service refused a write made through an admin form. The whole change is rolled back
    and the form is shown again with the service's messages, on the inline row that caused
    it (`prefix`) or on the record's own form (`prefix` None)."""

    def __init__(self, errors: dict[str, list[str]], *, prefix: str | None = None, label: str = "") -> None:
        self.errors = errors
        self.prefix = prefix
        self.label = label
        super().__init__(self.message)

    @classmethod
    def from_exception(cls, exc: Exception, *, prefix: str | None = None, label: str = "") -> "ServiceRefused":
        if isinstance(exc, ApplicationError):
            errors = exc.errors or {"non_field_errors": [exc.message]}
        elif isinstance(exc, ProtectedError):
            names = ", ".join(sorted({f"{o._meta.verbose_name} {o}" for o in exc.protected_objects}))
            errors = {"non_field_errors": [_("Other records refer to it: %(records)s.") % {"records": names}]}
        else:
            errors = {"non_field_errors": [str(exc) or _("You may not do this.")]}
        return cls(errors, prefix=prefix, label=label)

    @property
    def message(self) -> str:
        text = " ".join(str(m) for msgs in self.errors.values() for m in msgs)
        return f"{capfirst(self.label)}: {text}" if self.label else text


def _refusing(call: Callable, *args, prefix: str | None = None, label: str = "", **kwargs):
    try:
        return call(*args, **kwargs)
    except (ApplicationError, PermissionDenied, ProtectedError) as exc:
        raise ServiceRefused.from_exception(exc, prefix=prefix, label=label) from exc


class DomainRulesForm(forms.ModelForm):
    """Runs the domain validator after Django's own checks and shows its messages on the form;
    shown again after a service refused the change, it carries the service's messages."""

    validator: Callable | None = None
    # Set per request by the admin: the refusal of the first attempt, and whether this class is
    # the record's own form (rather than an inline row's).
    service_refused: ServiceRefused | None = None
    is_record_form = False

    def _post_clean(self) -> None:
        super()._post_clean()
        refused = type(self).service_refused
        if refused is not None:
            if refused.prefix == self.prefix and (refused.prefix is not None or self.is_record_form):
                add_errors(self, refused.errors)
            elif self.is_record_form:
                # The row's own messages are shown on the row; this one says nothing was kept.
                self.add_error(None, _("Nothing was saved. %(reason)s") % {"reason": refused.message})
            return
        validator = type(self).validator
        if validator is None or self.errors:
            return
        instance = self.instance
        # The service issues the reference code on creation; the form's copy has none yet.
        placeholder = hasattr(instance, "reference") and not instance.reference
        if placeholder:
            instance.reference = "-"
        try:
            validator(instance)
        except ApplicationError as exc:
            add_errors(self, exc.errors)
        finally:
            if placeholder:
                instance.reference = ""


def with_validator(form_class: type[forms.ModelForm], validator: Callable | None) -> type[forms.ModelForm]:
    return type(form_class.__name__, (form_class,), {"validator": staticmethod(validator) if validator else None})


# --- Rights and scoping, shared by record pages and inlines ---------------------------------


def may(request, question: str, record: Model) -> bool:
    """core.policy's answer, asked once per request and state of the record (a page asks the
    same question several times while it renders)."""
    answers = request.__dict__.setdefault("_policy_answers", {})
    key = (question, record._meta.label_lower, record.pk, getattr(record, "version", None),
           getattr(record, "status", None))  # fmt: skip
    if key not in answers:
        answers[key] = getattr(policy, f"may_{question}")(request.user, record)
    return answers[key]


def _may_add_to(request, model: type[Model], parent: Model) -> bool:
    try:
        policy.check_add_to(request.user, model, parent)
    except PermissionDenied:
        return False
    return True


class ScopedChoicesMixin:
    """Choices of a related record (an incident, a casualty, a hazardous area) are the records
    the user may read; the reporting organisation is the partner's own."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        user = request.user
        if "queryset" not in kwargs:
            if db_field.name == "organisation" and issubclass(self.model, ReportedRecord) and not is_authority(user):
                own = user_organisation(user)
                kwargs["queryset"] = related._default_manager.filter(pk=own.pk if own else None)
            else:
                try:
                    registry.get(related)
                except LookupError:
                    pass
                else:
                    kwargs["queryset"] = scoped(related._default_manager.all(), user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Inline rows ----------------------------------------------------------------------------


class ServiceInline(ScopedChoicesMixin):
    """Inline rows of a record page, written through services.

    A part of a report (a casualty, a source, an item found, a non-conformity) may be added,
    changed and removed by who may change its report (core.policy.check_add_to). Subclasses
    define `add_row(request, parent, data)` and `update_row(request, row, data)`; removal goes
    through core.services.part_delete unless `delete_row` says otherwise.
    """

    form = DomainRulesForm
    validator: Callable | None = None

    @property
    def entry(self) -> registry.RecordType:
        return registry.get(self.model)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = with_validator(formset.form, type(self).validator)
        formset.form.service_refused = getattr(request, "_service_refused", None)
        formset.service_inline = self
        return formset

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or may(request, "view", obj))

    def has_add_permission(self, request, obj):
        if not super().has_add_permission(request, obj):
            return False
        if obj is None:
            return not self.entry.authority_writes or is_authority(request.user)
        return _may_add_to(request, self.model, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or may(request, "change", obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or may(request, "change", obj))

    def row_data(self, form, fk_name: str, *, change: bool) -> dict:
        names = {f.name for f in self.model._meta.concrete_fields if not f.primary_key} - {fk_name}
        data = {name: value for name, value in form.cleaned_data.items() if name in names}
        if change:
            data = {name: value for name, value in data.items() if name in form.changed_data}
        return data

    # Each inline names the services that add and change its rows (its app's services.py).
    def add_row(self, request, parent: Model, data: dict) -> Model:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to add a row: define add_row().")

    def update_row(self, request, row: Model, data: dict) -> Model:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to change a row: define update_row().")

    def delete_row(self, request, row: Model) -> None:
        if self.entry.has_workflow:
            record_delete(record=row, user=request.user)
        else:
            part_delete(part=row, user=request.user)

    def save_rows(self, request, formset) -> None:
        """Each removed, changed and new row through its service (a refusal carries the row's
        prefix); the lists Django's change message reads are filled as `formset.save()` would."""
        fk_name = formset.fk.name
        label = self.model._meta.verbose_name
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.initial_forms:
            if form.instance.pk is None:
                continue
            if formset.can_delete and formset._should_delete_form(form):
                _refusing(self.delete_row, request, form.instance, prefix=form.prefix, label=label)
                formset.deleted_objects.append(form.instance)
            elif form.has_changed():
                data = self.row_data(form, fk_name, change=True)
                saved = _refusing(self.update_row, request, form.instance, data, prefix=form.prefix, label=label)
                formset.changed_objects.append((saved, form.changed_data))
        for form in formset.extra_forms:
            if not form.has_changed() or (formset.can_delete and formset._should_delete_form(form)):
                continue
            data = self.row_data(form, fk_name, change=False)
            saved = _refusing(self.add_row, request, formset.instance, data, prefix=form.prefix, label=label)
            form.instance = saved
            formset.new_objects.append(saved)


# --- Record pages ---------------------------------------------------------------------------


def _version_sent(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _delete_selected_through_services(modeladmin, request, queryset):
    # All or nothing: one refused record keeps every selected record.
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            return delete_selected(modeladmin, request, queryset)
    except ServiceRefused as refused:
        modeladmin.message_user(request, _("Nothing was deleted. %(reason)s") % {"reason": refused.message},
                                messages.ERROR)  # fmt: skip
        return None


class ServiceAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """A model admin whose reads are scoped like the API's and whose writes go through services.

    Subclasses set `validator` (the service's validation function) and define
    `create(request, cleaned_data, data)` and `update(request, obj, data)`; the form's
    cleaned data is handed to them as the service's input. Deletion is `core.workflow.
    record_delete` for records with a workflow, `core.services.part_delete` for parts of a
    report, unless `delete_record` says otherwise.
    """

    form = DomainRulesForm
    validator: Callable | None = None
    change_form_template = "admin/record_change_form.html"
    # Fields the services never change once the record exists; None: the reporting organisation.
    readonly_on_change: tuple[str, ...] | None = None

    @property
    def entry(self) -> registry.RecordType:
        return registry.get(self.model)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = with_validator(super().get_form(request, obj, change, **kwargs), type(self).validator)
        form.service_refused = getattr(request, "_service_refused", None)
        form.is_record_form = True
        return form

    def get_queryset(self, request):
        # The same scoping as the API: one permission path (core.selectors).
        return scoped(super().get_queryset(request), request.user)

    # Rights: the role's model permission, then core.policy for the record itself.

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (not self.entry.authority_writes or is_authority(request.user))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or may(request, "view", obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or may(request, "change", obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or may(request, "delete", obj))

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        organisation = user_organisation(request.user)
        if issubclass(self.model, ReportedRecord) and organisation is not None and not is_authority(request.user):
            initial.setdefault("organisation", organisation.pk)
        return initial

    def get_object(self, request, object_id, from_field=None):
        record = super().get_object(request, object_id, from_field)
        if record is not None:
            ids = (record.created_by_id, record.updated_by_id)
            record._actor_labels = actor_labels(request.user, ids)
        return record

    def get_fieldsets(self, request, obj=None):
        return [
            (name, {**options, "fields": tuple(AUDIT_ACTORS.get(f, f) for f in options["fields"])})
            for name, options in super().get_fieldsets(request, obj)
        ]

    @admin.display(description=gettext_lazy("created by"))
    def created_by_actor(self, obj) -> str:
        return getattr(obj, "_actor_labels", {}).get(obj.created_by_id, "") or "–"

    @admin.display(description=gettext_lazy("updated by"))
    def updated_by_actor(self, obj) -> str:
        return getattr(obj, "_actor_labels", {}).get(obj.updated_by_id, "") or "–"

    def get_readonly_fields(self, request, obj=None):
        audit = [AUDIT_ACTORS.get(name, name) for name in AUDIT_FIELDS]
        fields = [*super().get_readonly_fields(request, obj), *audit]
        if obj is not None:
            fixed = self.readonly_on_change
            if fixed is None:
                fixed = ("organisation",) if issubclass(self.model, ReportedRecord) else ()
            fields += [name for name in fixed if name not in fields]
        return fields

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{info[0]}_{info[1]}_transition",
            ),
            *super().get_urls(),
        ]

    # The record page and its workflow box.

    def _workflow(self, request, object_id) -> dict:
        if not object_id or not self.entry.has_workflow:
            return {}
        record = self.get_object(request, unquote(object_id))
        if record is None:
            return {}
        actions = [
            (name, ACTION_LABELS[name])
            for name, rule in TRANSITIONS.items()
            if record.status in rule.sources and policy.may_transition(request.user, record, name)
        ]
        frozen = (
            record.status == RecordStatus.SUBMITTED
            and "withdraw" in dict(actions)
            and not self.has_change_permission(request, record)
        )
        return {
            "workflow": {
                "url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_transition", args=[record.pk]),
                "actions": actions,
                "version": record.version,
                "frozen": frozen,
            }
        }

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The version the page was opened on goes back with the form when it is shown again.
        extra_context = {**(extra_context or {}), "version_read": _version_sent(request)}
        if request.method == "POST" and not hasattr(request, "_service_refused"):
            try:
                # One transaction for the record and its rows: a refused row keeps nothing.
                with transaction.atomic(using=router.db_for_write(self.model)):
                    return super().changeform_view(request, object_id, form_url, extra_context)
            except ServiceRefused as refused:
                request._service_refused = refused
            # Shown again from what was sent, with the service's messages; nothing is saved.
        extra_context = {**extra_context, **self._workflow(request, object_id)}
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if getattr(getattr(request, "_service_refused", None), "stale", False):
            # As the record pages (core.pages.RecordFormView): changed since it was read.
            response.status_code = 409
        return response

    def transition_view(self, request, object_id):
        if request.method != "POST":
            raise Http404
        # A role that reads none of these records is refused before any is looked up, as on the change form.
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        action = request.POST.get("action", "")
        label = ACTION_LABELS.get(action, action)
        change_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[record.pk])
        try:
            version = int(request.POST["version"]) if request.POST.get("version") else None
        except ValueError:
            self.message_user(request, _("The page sent no valid version: read the record again."), messages.ERROR)
            return HttpResponseRedirect(change_url)
        try:
            record_transition(
                record=record,
                user=request.user,
                action=action,
                reason=request.POST.get("workflow_reason", ""),
                version=version,
            )
        except RecordChanged:
            self.message_user(
                request,
                _("Someone changed this record since you opened it: read it again, then %(action)s it.")
                % {"action": label},
                messages.ERROR,
            )
        except (ApplicationError, PermissionDenied) as exc:
            self.message_user(request, ServiceRefused.from_exception(exc).message, messages.ERROR)
        else:
            self.message_user(request, _("Done: %(action)s.") % {"action": label}, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def history_view(self, request, object_id, extra_context=None):
        """The record's versions from its recorded history (who, when, action, reason, changes).
        A partner sees the names of its own staff only; others are shown by organisation."""
        record = self.get_object(request, unquote(object_id))
        if record is None or not self.has_view_or_change_permission(request, record):
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of %(record)s") % {"record": record},
            "opts": self.opts,
            "object": record,
            "events": record_history_for(record, request.user),
        }
        return TemplateResponse(request, "admin/record_history.html", context)

    # Writes.

    def service_data(self, form, *, change: bool) -> dict:
        names = [name for name in form.cleaned_data if name in {f.name for f in form._meta.model._meta.fields}]
        if change:
            names = [name for name in names if name in form.changed_data]
        return {name: form.cleaned_data[name] for name in names if name not in ("organisation", "status")}

    # Each record admin names the services that create and change its records.
    def create(self, request, cleaned_data, data) -> Model:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to create a record: define create().")

    def update(self, request, obj, data) -> Model:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to change a record: define update().")

    def save_model(self, request, obj, form, change):
        if change and hasattr(obj, "version"):
            self.lock_as_read(request, obj)
        data = self.service_data(form, change=change)
        if change and not data:
            # Only rows changed (or nothing): the record is not a new version of itself; its
            # parts' services raise its version when they change it.
            obj.refresh_from_db()
            return
        # Who did what, in the record's history, as through the API.
        with recorded(user=request.user, action="update" if change else "create"):
            if change:
                saved = _refusing(self.update, request, obj, data)
            else:
                saved = _refusing(self.create, request, form.cleaned_data, data)
        # The admin goes on with the object the service saved (for inlines and redirects).
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def lock_as_read(self, request, obj) -> None:
        """The record locked for the change, if it is the version the page was opened on
        (admin/record_change_form.html); else the form comes back with a 409, nothing saved."""
        try:
            record_lock_as_read(record=obj, user=request.user, version=_version_sent(request))
        except RecordChanged:
            message = _("%(record)s was changed since you opened it: read it again, then decide.") % {"record": obj}
            refused = ServiceRefused({"non_field_errors": [message]})
            refused.stale = True
            raise refused from None

    def save_formset(self, request, form, formset, change):
        inline = getattr(formset, "service_inline", None)
        if inline is None:
            raise ImproperlyConfiguredInline(formset)
        # Rows of a new record are part of its creation; otherwise they change the report.
        with recorded(user=request.user, action="update" if change else "create"):
            inline.save_rows(request, formset)

    def delete_record(self, request, obj) -> None:
        if self.entry.has_workflow:
            # Records are deleted softly: their history stays and they can be restored.
            record_delete(record=obj, user=request.user)
        else:
            part_delete(part=obj, user=request.user)

    def delete_model(self, request, obj):
        _refusing(self.delete_record, request, obj)

    def delete_queryset(self, request, queryset):
        for record in queryset:
            _refusing(self.delete_record, request, record, label=str(record))

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[unquote(object_id)])
            )

    def get_deleted_objects(self, objs, request):
        """What a deletion removes: the records themselves (the services delete a report softly,
        with its parts; a part alone). Django's cascade of hard deletion does not apply."""
        objs = list(objs)
        perms_needed = {str(self.opts.verbose_name) for obj in objs if not self.has_delete_permission(request, obj)}
        listed = [f"{capfirst(self.opts.verbose_name)}: {obj}" for obj in objs]
        return listed, {self.opts.verbose_name_plural: len(objs)}, perms_needed, []

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (_delete_selected_through_services, name, description)
        # Approving a selection: for roles that approve, on records with a workflow of their own.
        offered = self.actions is not None and IS_POPUP_VAR not in request.GET
        if offered and self.entry.has_workflow and request.user.has_perm(TRANSITIONS["approve"].permission):
            for name in ("approve_selected", "reject_selected"):
                func = getattr(type(self), name)
                actions[name] = (func, name, func.short_description)
        return actions

    # Workflow acts on a selection, through the service the API's bulk-transition uses
    # (core.bulk.records_transition): core.policy decides for each record, each one's history
    # tells the act. A page first shows each selected record with its version: the approval
    # carries the version the officer read there, as a single approval does.

    @admin.action(description=gettext_lazy("Approve the selected records"))
    def approve_selected(self, request, queryset):
        return self._transition_selected(request, queryset, "approve")

    @admin.action(description=gettext_lazy("Reject the selected records (with a reason)"))
    def reject_selected(self, request, queryset):
        return self._transition_selected(request, queryset, "reject")

    def _transition_selected(self, request, queryset, action: str):
        records = list(queryset.select_related("organisation").order_by("pk"))
        if len(records) > BULK_TRANSITION_MAX_RECORDS:
            self.message_user(
                request,
                _("Select at most %(max)d records at once (%(count)d selected).")
                % {"max": BULK_TRANSITION_MAX_RECORDS, "count": len(records)},
                messages.ERROR,
            )
            return None
        reason = request.POST.get("workflow_reason", "")
        if request.POST.get("post") != "yes":
            return self._transition_page(request, records, action, reason)
        if TRANSITIONS[action].needs_reason and not reason.strip():
            # Asked again on the page, rather than refused once per record.
            error = _("A reason is required to %(action)s.") % {"action": ACTION_LABELS[action]}
            return self._transition_page(request, records, action, reason, error=error)
        items = [(record.pk, _posted_version(request, record.pk)) for record in records]
        try:
            outcomes = records_transition(model=self.model, user=request.user, action=action, items=items,
                                          reason=reason)  # fmt: skip
        except ApplicationError as exc:
            self.message_user(request, ServiceRefused.from_exception(exc).message, messages.ERROR)
            return None
        labels = {record.pk: str(record) for record in records}
        done = [labels[outcome.record_id] for outcome in outcomes if outcome.done]
        if done:
            self.message_user(
                request,
                _("Done: %(action)s, %(count)d records: %(records)s.")
                % {"action": ACTION_LABELS[action], "count": len(done), "records": ", ".join(done)},
                messages.SUCCESS,
            )
        for outcome in outcomes:
            if outcome.done:
                continue
            message = outcome.message
            if outcome.outcome == Outcome.CHANGED:
                message = _("Someone changed this record since you opened it: read it again, then %(action)s it.") % {
                    "action": ACTION_LABELS[action]}  # fmt: skip
            self.message_user(request, f"{labels.get(outcome.record_id, outcome.record_id)}: {message}", messages.ERROR)
        return None

    def _transition_page(self, request, records, action: str, reason: str, error: str = ""):
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(action)s the selected records") % {"action": capfirst(ACTION_LABELS[action])},
            "opts": self.opts,
            "records": records,
            "action_name": f"{action}_selected",
            "action_label": capfirst(ACTION_LABELS[action]),
            "needs_reason": TRANSITIONS[action].needs_reason,
            "reason": reason,
            "error": error,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/bulk_transition.html", context)


def _posted_version(request, pk) -> int | None:
    """The version of record `pk` shown on the confirmation page; None when missing or mangled (an
    approval without it is refused by the workflow)."""
    raw = request.POST.get(f"version_{pk}", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


class ImproperlyConfiguredInline(Exception):
    """An inline of a record page that is not a ServiceInline would write around the services."""

    def __init__(self, formset) -> None:
        super().__init__(f"{formset.model._meta.label}: inlines of a ServiceAdmin must be ServiceInline")
