from django.contrib import admin

from assistance import services
from assistance.models import AssistanceService, Survivor
from core.admin import AuditedInline, ServiceAdmin


class AssistanceServiceInline(AuditedInline, admin.TabularInline):
    model = AssistanceService
    validator = services.assistance_service_validate
    extra = 0
    fk_name = "survivor"
    fields = ("service_type", "provider", "provider_name", "start_date", "end_date", "outcome", "organisation")


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
    list_select_related = ("survivor", "provider")

    def create(self, request, cleaned_data, data):
        survivor = data.pop("survivor")
        return services.assistance_service_create(
            user=request.user, organisation=cleaned_data["organisation"], survivor=survivor, data=data
        )

    def update(self, request, obj, data):
        return services.assistance_service_update(service=obj, user=request.user, data=data)
