import contextlib

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core import policy
from core.admin import MapAdminMixin, ServiceAdmin, ServiceInline
from core.selectors import scoped
from core.services import part_delete
from incidents import services
from incidents.models import Casualty, CasualtyIdentity, IdentityAccessLog, Incident, IncidentSource
from incidents.selectors import IDENTITY_PERMISSION, casualty_identity_get


def casualty_page_validate(casualty: Casualty) -> None:
    """The casualty's rules as the page shows them: the age group is never typed there, it
    follows the age (as `casualty_update` makes it when only the age is sent)."""
    casualty.age_group = Casualty.AgeGroup.UNKNOWN
    services.casualty_validate(casualty)


class CasualtyInline(ServiceInline, admin.TabularInline):
    model = Casualty
    validator = casualty_page_validate
    extra = 0
    fields = ("outcome", "sex", "age", "age_group", "civilian_status", "injuries")
    readonly_fields = ("age_group",)
    show_change_link = True

    def add_row(self, request, parent, data):
        return services.casualty_add(incident=parent, user=request.user, data=data)

    def update_row(self, request, row, data):
        return services.casualty_update(casualty=row, user=request.user, data=data)

    def delete_row(self, request, row):
        services.casualty_delete(casualty=row, user=request.user)


class IncidentSourceInline(ServiceInline, admin.TabularInline):
    model = IncidentSource
    validator = services.incident_source_validate
    extra = 0
    exclude = ("created_by", "updated_by")

    def add_row(self, request, parent, data):
        return services.incident_source_add(incident=parent, user=request.user, data=data)

    def update_row(self, request, row, data):
        return services.incident_source_update(source=row, user=request.user, data=data)

    def delete_row(self, request, row):
        part_delete(part=row, user=request.user)


@admin.register(Incident)
class IncidentAdmin(MapAdminMixin, ServiceAdmin, GISModelAdmin):
    validator = services.incident_validate
    list_display = (
        "reference",
        "incident_date",
        "incident_class",
        "device_category",
        "reclassified",
        "admin_area",
        "organisation",
        "status",
    )
    list_filter = ("status", "incident_class", "device_category", "activation", "admin_area", "organisation")
    search_fields = ("reference", "external_id", "description")
    date_hierarchy = "incident_date"
    list_select_related = ("admin_area", "organisation")
    autocomplete_fields = ("locality", "ordnance_type")
    readonly_fields = ("reference", "status", "device_category", "admin_area")
    inlines = (CasualtyInline, IncidentSourceInline)
    fieldsets = (
        (None, {"fields": ("reference", "organisation", "status", "external_id", "incident_class")}),
        (
            _("When and where"),
            {"fields": (("incident_date", "date_precision"), "incident_time", "location", "locality", "admin_area")},
        ),
        (
            _("Device"),
            {
                "fields": (
                    "device_category_reported",
                    "device_category",
                    "ordnance_type",
                    "activation",
                    "how_activated",
                    "person_activated",
                    "anti_handling_device",
                    "moved_or_tampered",
                )
            },
        ),
        (_("Circumstances"), {"fields": ("activity_at_time", "description")}),
        (_("Audit"), {"fields": ("created_at", "created_by", "updated_at", "updated_by")}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "device_category_reported" and field is not None:
            # Left empty, the service takes the device model's category (or unknown).
            field.required = False
        return field

    @admin.display(description=_("reclassified"), boolean=True)
    def reclassified(self, obj: Incident) -> bool:
        return obj.is_reclassified

    def create(self, request, cleaned_data, data):
        return services.incident_create(user=request.user, organisation=cleaned_data["organisation"], data=data)

    def update(self, request, obj, data):
        return services.incident_update(incident=obj, user=request.user, data=data)


class CasualtyIdentityInline(ServiceInline, admin.StackedInline):
    """Personal data: shown only to roles holding `incidents.view_casualtyidentity`, written
    through `casualty_identity_set`, never removed from the page."""

    model = CasualtyIdentity
    extra = 0
    max_num = 1
    can_delete = False
    fields = ("full_name", "date_of_birth", "address", "phone", "contact_person")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(IDENTITY_PERMISSION) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        return request.user.has_perm(IDENTITY_PERMISSION) and _may_write_identity(request, obj, creating=True)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(IDENTITY_PERMISSION) and _may_write_identity(request, obj, creating=False)

    def has_delete_permission(self, request, obj=None):
        return False

    def row_data(self, form, fk_name, *, change):
        # The identity is written whole: its rules read the name and date of birth together.
        return super().row_data(form, fk_name, change=False)

    def add_row(self, request, parent, data):
        return services.casualty_identity_set(casualty=parent, user=request.user, data=data)

    def update_row(self, request, row, data):
        return services.casualty_identity_set(casualty=row.casualty, user=request.user, data=data)


def _may_write_identity(request, casualty, *, creating: bool) -> bool:
    if casualty is None:
        perm = "incidents.add_casualtyidentity" if creating else "incidents.change_casualtyidentity"
        return request.user.has_perm(perm)
    try:
        policy.check_write_identity(request.user, casualty, creating=creating)
    except PermissionDenied:
        return False
    return True


@admin.register(Casualty)
class CasualtyAdmin(ServiceAdmin):
    validator = casualty_page_validate
    list_display = ("__str__", "incident", "outcome", "sex", "age_group", "civilian_status")
    list_filter = ("outcome", "sex", "age_group", "civilian_status")
    search_fields = ("incident__reference",)
    list_select_related = ("incident",)
    ordering = ("-incident__incident_date", "-pk")
    autocomplete_fields = ("incident",)
    readonly_fields = ("age_group",)
    readonly_on_change = ("incident",)
    inlines = (CasualtyIdentityInline,)

    def get_inlines(self, request, obj):
        # Personal data is not even an empty form for roles that may not read it.
        return self.inlines if obj is not None and request.user.has_perm(IDENTITY_PERMISSION) else ()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The identity inline shows personal data: the read is logged like an API read.
        if request.method == "GET" and request.user.has_perm(IDENTITY_PERMISSION):
            casualty = self.get_object(request, object_id)
            if casualty is not None:
                # A casualty the role may not read identities of shows none, and logs no read.
                with contextlib.suppress(PermissionDenied):
                    casualty_identity_get(user=request.user, casualty=casualty, channel="page", path=request.path)
        return super().change_view(request, object_id, form_url, extra_context)

    def create(self, request, cleaned_data, data):
        incident = data.pop("incident")
        return services.casualty_add(incident=incident, user=request.user, data=data)

    def update(self, request, obj, data):
        return services.casualty_update(casualty=obj, user=request.user, data=data)

    def delete_record(self, request, obj):
        services.casualty_delete(casualty=obj, user=request.user)


@admin.register(IdentityAccessLog)
class IdentityAccessLogAdmin(admin.ModelAdmin):
    """Who read which casualty's identity, when, and how: read-only."""

    # The casualty by its number: a casualty deleted since is no longer there to name.
    list_display = ("accessed_at", "user", "casualty_id", "channel", "path")
    list_filter = ("channel", "user")
    date_hierarchy = "accessed_at"
    list_select_related = ("user",)

    def get_queryset(self, request):
        # Reads of casualties the user may not see are not listed either; reads of a casualty since
        # deleted from its report stay listed (the log outlives it).
        visible = scoped(Casualty.objects.all(), request.user)
        gone = ~Exists(Casualty._base_manager.filter(pk=OuterRef("casualty_id")))
        return super().get_queryset(request).filter(Q(casualty__in=visible) | gone)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
