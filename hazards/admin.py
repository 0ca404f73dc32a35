from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core.admin import MapAdminMixin, ServiceAdmin, ServiceInline
from core.display import format_area
from hazards import services
from hazards.models import HazardArea, ItemFound, LandReleaseActivity, NonConformity, QualityInspection


@admin.register(HazardArea)
class HazardAreaAdmin(MapAdminMixin, ServiceAdmin, GISModelAdmin):
    validator = services.hazard_area_validate
    list_display = (
        "reference",
        "land_class",
        "hazard_status",
        "admin_area",
        "area_display",
        "remaining_display",
        "organisation",
        "status",
        "survey_date",
    )
    list_filter = ("status", "land_class", "hazard_status", "priority", "admin_area", "organisation")
    search_fields = ("reference", "name", "external_id")
    date_hierarchy = "survey_date"
    list_select_related = ("admin_area", "organisation")
    readonly_fields = (
        "reference",
        "status",
        "area",
        "admin_area",
        "cancelled",
        "reduced",
        "cleared",
        "remaining",
        "contamination_types_reported",
    )
    fieldsets = (
        (None, {"fields": ("reference", "name", "organisation", "status", "external_id")}),
        (
            _("Land"),
            {
                "fields": (
                    "land_class",
                    "geometry",
                    "area",
                    "admin_area",
                    "contamination_types",
                    "improvised_av_person_sensitive",
                    "contamination_types_reported",
                )
            },
        ),
        (_("Evidence"), {"fields": ("evidence", "evidence_description", ("survey_date", "date_precision"))}),
        (_("Status"), {"fields": ("hazard_status", "hazard_status_date", "hazard_status_reason")}),
        (_("Impact"), {"fields": ("blocked_land_use", "beneficiaries", "priority")}),
        (
            _("Land release"),
            {"fields": ("cancelled", "reduced", "cleared", "remaining")},
        ),
        (_("Audit"), {"fields": ("created_at", "created_by", "updated_at", "updated_by")}),
    )

    @admin.display(description=_("area (ha)"), ordering="area_m2")
    def area_display(self, obj: HazardArea) -> str:
        return number_format(obj.area_m2 / 10_000, 2, force_grouping=True) if obj.area_m2 is not None else "–"

    @admin.display(description=_("remaining (ha)"), ordering="remaining_area_m2")
    def remaining_display(self, obj: HazardArea) -> str:
        if obj.remaining_area_m2 is None:
            return "–"
        return number_format(obj.remaining_area_m2 / 10_000, 2, force_grouping=True)

    @admin.display(description=_("area"))
    def area(self, obj: HazardArea) -> str:
        return format_area(obj.area_m2)

    @admin.display(description=_("area cancelled"))
    def cancelled(self, obj: HazardArea) -> str:
        return format_area(obj.area_cancelled_m2)

    @admin.display(description=_("area reduced"))
    def reduced(self, obj: HazardArea) -> str:
        return format_area(obj.area_reduced_m2)

    @admin.display(description=_("area cleared"))
    def cleared(self, obj: HazardArea) -> str:
        return format_area(obj.area_cleared_m2)

    @admin.display(description=_("remaining area"))
    def remaining(self, obj: HazardArea) -> str:
        return format_area(obj.remaining_area_m2)

    def create(self, request, cleaned_data, data):
        return services.hazard_area_create(user=request.user, organisation=cleaned_data["organisation"], data=data)

    def update(self, request, obj, data):
        return services.hazard_area_update(hazard=obj, user=request.user, data=data)


class ItemFoundInline(ServiceInline, admin.TabularInline):
    model = ItemFound
    extra = 0
    autocomplete_fields = ("ordnance_type",)
    exclude = ("created_by", "updated_by")
    readonly_fields = ("category_reported",)

    def add_row(self, request, parent, data):
        return services.item_found_create(activity=parent, user=request.user, data=data)

    def update_row(self, request, row, data):
        return services.item_found_update(item=row, user=request.user, data=data)


@admin.register(LandReleaseActivity)
class LandReleaseActivityAdmin(MapAdminMixin, ServiceAdmin, GISModelAdmin):
    validator = services.land_release_activity_validate
    list_display = (
        "reference",
        "kind",
        "hazard_area",
        "start_date",
        "end_date",
        "area_cancelled_m2",
        "area_reduced_m2",
        "area_cleared_m2",
        "organisation",
        "status",
    )
    list_filter = ("status", "kind", "report_type", "admin_area", "organisation")
    search_fields = ("reference", "external_id", "hazard_area__reference")
    date_hierarchy = "start_date"
    list_select_related = ("hazard_area", "organisation")
    autocomplete_fields = ("hazard_area",)
    readonly_fields = ("reference", "status", "admin_area")
    inlines = (ItemFoundInline,)

    def create(self, request, cleaned_data, data):
        return services.land_release_activity_create(
            user=request.user, organisation=cleaned_data["organisation"], data=data
        )

    def update(self, request, obj, data):
        return services.land_release_activity_update(activity=obj, user=request.user, data=data)


class NonConformityInline(ServiceInline, admin.TabularInline):
    model = NonConformity
    validator = services.non_conformity_validate
    extra = 0
    exclude = ("created_by", "updated_by")

    def add_row(self, request, parent, data):
        return services.non_conformity_add(inspection=parent, user=request.user, data=data)

    def update_row(self, request, row, data):
        return services.non_conformity_update(non_conformity=row, user=request.user, data=data)


@admin.register(QualityInspection)
class QualityInspectionAdmin(ServiceAdmin):
    """The authority's inspections (IMAS 07.40): written by its quality roles, read by the
    organisation inspected."""

    validator = services.quality_inspection_validate
    list_display = ("activity", "kind", "inspection_date", "inspector_organisation", "result")
    list_filter = ("kind", "result", "inspector_organisation")
    date_hierarchy = "inspection_date"
    autocomplete_fields = ("activity",)
    list_select_related = ("activity", "inspector_organisation")
    inlines = (NonConformityInline,)
    readonly_on_change = ("activity",)

    def create(self, request, cleaned_data, data):
        activity = data.pop("activity")
        return services.quality_inspection_create(activity=activity, user=request.user, data=data)

    def update(self, request, obj, data):
        return services.quality_inspection_update(inspection=obj, user=request.user, data=data)
