"""What every admin page of the national database shares: maps, audit fields, and saving
through the domain services so that the admin obeys the same rules as the API."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.gis import forms as gis_forms
from django.contrib.gis.db import models as gis_models
from django.contrib.gis.geos import MultiPolygon
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.history import record_history
from core.selectors import records_visible
from core.widgets import MapWidget
from core.workflow import ACTION_LABELS, TRANSITIONS, record_delete, record_transition, transition_allowed

AUDIT_FIELDS = ("created_at", "created_by", "updated_at", "updated_by")


def format_area(square_metres: float | None) -> str:
    """Areas are stored in m² only; readers get m² and hectares side by side."""
    if square_metres is None:
        return "–"
    return (
        f"{number_format(round(square_metres), force_grouping=True)} m² ({number_format(square_metres / 10_000, 2)} ha)"
    )


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
    # The country comes from reference data, not from code: centre on its boundary.
    from reference.selectors import country_area

    country = country_area()
    if country is None or country.geometry is None:
        return {"default_zoom": 2}
    centre = country.geometry.centroid
    return {"default_lon": centre.x, "default_lat": centre.y, "default_zoom": 5}


class DomainRulesForm(forms.ModelForm):
    """Runs the domain validator after Django's own checks and shows its messages on the form."""

    validator: Callable | None = None

    def _post_clean(self) -> None:
        super()._post_clean()
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
            for field, messages in exc.errors.items():
                target = field if field in self.fields else None
                for message in messages:
                    if target is None and field != "non_field_errors":
                        label = self.instance._meta.get_field(field).verbose_name if "." not in field else field
                        message = f"{label}: {message}"
                    self.add_error(target, message)
        finally:
            if placeholder:
                instance.reference = ""


def with_validator(form_class: type[forms.ModelForm], validator: Callable | None) -> type[forms.ModelForm]:
    return type(form_class.__name__, (form_class,), {"validator": staticmethod(validator) if validator else None})


class AuditedInline:
    """Inline rows record who created and changed them."""

    form = DomainRulesForm
    validator: Callable | None = None

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = with_validator(formset.form, type(self).validator)
        return formset


class ServiceAdmin(admin.ModelAdmin):
    """A model admin whose writes go through `create`/`update` services.

    Subclasses set `validator` (the service's validation function) and define
    `create(request, cleaned_data, data)` and `update(request, obj, data)`; the form's
    cleaned data is handed to them as the service's input.
    """

    form = DomainRulesForm
    validator: Callable | None = None
    change_form_template = "admin/record_change_form.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_validator(super().get_form(request, obj, change, **kwargs), type(self).validator)

    def get_queryset(self, request):
        # The same scoping as the API: one permission path (core.selectors).
        return records_visible(super().get_queryset(request), request.user)

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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            record = self.get_object(request, object_id)
            if record is not None:
                extra_context["workflow"] = {
                    "url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_transition", args=[record.pk]),
                    "actions": [
                        (name, ACTION_LABELS[name])
                        for name, rule in TRANSITIONS.items()
                        if record.status in rule.sources
                        and transition_allowed(user=request.user, record=record, action=name)
                    ],
                }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id):
        record = self.get_object(request, object_id)
        if record is None or request.method != "POST":
            raise Http404
        action = request.POST.get("action", "")
        try:
            record_transition(
                record=record, user=request.user, action=action, reason=request.POST.get("workflow_reason", "")
            )
        except ApplicationError as exc:
            self.message_user(
                request, " ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message, messages.ERROR
            )
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request, _("Done: %(action)s.") % {"action": ACTION_LABELS.get(action, action)}, messages.SUCCESS
            )
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[record.pk])
        )

    def history_view(self, request, object_id, extra_context=None):
        """The record's versions from its recorded history (who, when, action, reason, changes)."""
        record = self.get_object(request, object_id)
        if record is None or not self.has_view_or_change_permission(request, record):
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of %(record)s") % {"record": record},
            "opts": self.opts,
            "object": record,
            "events": record_history(record),
        }
        return TemplateResponse(request, "admin/record_history.html", context)

    def delete_model(self, request, obj):
        # Domain records are deleted softly: their history stays and they can be restored.
        record_delete(record=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for record in queryset:
            record_delete(record=record, user=request.user)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *AUDIT_FIELDS)

    def service_data(self, form, *, change: bool) -> dict:
        names = [name for name in form.cleaned_data if name in {f.name for f in form._meta.model._meta.fields}]
        if change:
            names = [name for name in names if name in form.changed_data]
        return {name: form.cleaned_data[name] for name in names if name not in ("organisation", "status")}

    def save_model(self, request, obj, form, change):
        data = self.service_data(form, change=change)
        saved = self.update(request, obj, data) if change else self.create(request, form.cleaned_data, data)
        # The admin goes on with the object the service saved (for inlines and redirects).
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if instance._state.adding:
                instance.created_by = request.user
            instance.updated_by = request.user
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()
