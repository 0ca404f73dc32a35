from django.contrib import admin

from assistance import services
from assistance.models import AssistanceService, Survivor
from core.admin import ServiceAdmin, ServiceInline, may


class AssistanceServiceInline(ServiceInline, admin.TabularInline):
    """Services are records of their own (organisation, workflow): a row is added by whoever may
    report for its organisation, and changed or removed under the service's own status."""

    model = AssistanceService
    validator = services.assistance_service_validate
    extra = 0
    fk_name = "survivor"
    fields = (
        "service_type",
        "provider",
        "provider_name",
        "start_date",
        "date_precision",
        "end_date",
        "outcome",
        "organisation",
    )

    def has_add_permission(self, request, obj):
        # Not a part of the survivor's report: reading the survivor is enough to add a service.
        return admin.TabularInline.has_add_permission(self, request, obj) and (obj is None or may(request, "view", obj))

    def add_row(self, request, parent, data):
        organisation = data.pop("organisation", None)
        return services.assistance_service_create(
            user=request.user, organisation=organisation, survivor=parent, data=data
        )

    def update_row(self, request, row, data):
        return services.assistance_service_update(service=row, user=request.user, data=data)


@admin.register(Survivor)
class SurvivorAdmin(ServiceAdmin):
    validator = services.survivor_validate
    list_display = ("__str__", "casualty", "organisation", "status", "has_disability")
    list_filter = ("status", "organisation", "has_disability")
    search_fields = ("casualty__incident__reference", "external_id")
    autocomplete_fields = ("casualty",)
    readonly_fields = ("status",)
    list_select_related = ("casualty", "organisation")
    inlines = (AssistanceServiceInline,)

    def create(self, request, cleaned_data, data):
        return services.survivor_create(user=request.user, organisation=cleaned_data["organisation"], data=data)

    def update(self, request, obj, data):
        return services.survivor_update(survivor=obj, user=request.user, data=data)


@admin.register(AssistanceService)
class AssistanceServiceAdmin(ServiceAdmin):
    validator = services.assistance_service_validate
    list_display = ("service_type", "survivor", "provider", "start_date", "end_date", "outcome", "status")
    list_filter = ("status", "service_type", "outcome", "provider")
    date_hierarchy = "start_date"
    autocomplete_fields = ("survivor", "provider")
    readonly_fields = ("status",)
    readonly_on_change = ("organisation", "survivor")
    list_select_related = ("survivor", "provider")

    def create(self, request, cleaned_data, data):
        survivor = data.pop("survivor")
        return services.assistance_service_create(
            user=request.user, organisation=cleaned_data["organisation"], survivor=survivor, data=data
        )

    def update(self, request, obj, data):
        return services.assistance_service_update(service=obj, user=request.user, data=data)
