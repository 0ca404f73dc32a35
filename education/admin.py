from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import MapAdminMixin, ServiceAdmin
from education import services
from education.models import RiskEducationSession


@admin.register(RiskEducationSession)
class RiskEducationSessionAdmin(MapAdminMixin, ServiceAdmin, GISModelAdmin):
    validator = services.risk_education_session_validate
    list_display = (
        "reference",
        "session_date",
        "method",
        "target_group",
        "girls",
        "boys",
        "women",
        "men",
        "admin_area",
        "organisation",
        "status",
    )
    list_filter = ("status", "method", "target_group", "admin_area", "organisation")
    search_fields = ("reference", "external_id")
    date_hierarchy = "session_date"
    list_select_related = ("admin_area", "organisation")
    autocomplete_fields = ("locality",)
    readonly_fields = ("reference", "status", "admin_area")
    fieldsets = (
        (None, {"fields": ("reference", "organisation", "status", "external_id")}),
        (
            _("Session"),
            {
                "fields": (
                    ("session_date", "date_precision"),
                    "method",
                    "target_group",
                    "location",
                    "locality",
                    "admin_area",
                )
            },
        ),
        (_("Beneficiaries"), {"fields": ("girls", "boys", "women", "men", "with_disability")}),
        (_("Notes"), {"fields": ("notes",)}),
        (_("Audit"), {"fields": ("created_at", "created_by", "updated_at", "updated_by")}),
    )

    def create(self, request, cleaned_data, data):
        return services.risk_education_session_create(
            user=request.user, organisation=cleaned_data["organisation"], data=data
        )

    def update(self, request, obj, data):
        return services.risk_education_session_update(session=obj, user=request.user, data=data)
