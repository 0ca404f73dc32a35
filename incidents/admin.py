from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedInline, MapAdminMixin, ServiceAdmin, with_validator
from incidents import services
from incidents.models import Casualty, CasualtyIdentity, IdentityAccessLog, Incident, IncidentSource
from incidents.selectors import IDENTITY_PERMISSION, casualty_identity_get


class CasualtyInline(AuditedInline, admin.TabularInline):
    model = Casualty
    validator = services.casualty_validate
    extra = 0
    fields = ("outcome", "sex", "age", "age_group", "civilian_status", "injuries")
    readonly_fields = ("age_group",)
    show_change_link = True


class IncidentSourceInline(AuditedInline, admin.TabularInline):
    model = IncidentSource
    extra = 0
    exclude = ("created_by", "updated_by")


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
        (_("When and where"), {"fields": ("incident_date", "incident_time", "location", "locality", "admin_area")}),
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

    @admin.display(description=_("reclassified"), boolean=True)
    def reclassified(self, obj: Incident) -> bool:
        return obj.is_reclassified

    def create(self, request, cleaned_data, data):
        return services.incident_create(user=request.user, organisation=cleaned_data["organisation"], data=data)

    def update(self, request, obj, data):
        return services.incident_update(incident=obj, user=request.user, data=data)


class CasualtyIdentityInline(AuditedInline, admin.StackedInline):
    """Shown only to roles holding `incidents.view_casualtyidentity` (Django checks it)."""

    model = CasualtyIdentity
    extra = 0
    max_num = 1
    exclude = ("created_by", "updated_by")


@admin.register(Casualty)
class CasualtyAdmin(admin.ModelAdmin):
    form = AuditedInline.form
    list_display = ("__str__", "incident", "outcome", "sex", "age_group", "civilian_status")
    list_filter = ("outcome", "sex", "age_group", "civilian_status")
    search_fields = ("incident__reference",)
    list_select_related = ("incident",)
    autocomplete_fields = ("incident",)
    readonly_fields = ("age_group",)
    exclude = ("created_by", "updated_by")
    inlines = (CasualtyIdentityInline,)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The identity inline shows personal data: the read is logged like an API read.
        if request.method == "GET" and request.user.has_perm(IDENTITY_PERMISSION):
            casualty = Casualty.objects.filter(pk=object_id).first()
            if casualty is not None:
                casualty_identity_get(user=request.user, casualty=casualty, channel="page", path=request.path)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_validator(super().get_form(request, obj, change, **kwargs), services.casualty_validate)


@admin.register(IdentityAccessLog)
class IdentityAccessLogAdmin(admin.ModelAdmin):
    """Who read which casualty's identity, when, and how: read-only."""

    list_display = ("accessed_at", "user", "casualty", "channel", "path")
    list_filter = ("channel", "user")
    date_hierarchy = "accessed_at"
    list_select_related = ("user", "casualty")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
