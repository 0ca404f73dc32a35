from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import services
from community.models import CommunityReport
from core.admin import MapAdminMixin, ServiceAdmin, ServiceRefused
from core.exceptions import ApplicationError


@admin.register(CommunityReport)
class CommunityReportAdmin(MapAdminMixin, ServiceAdmin, GISModelAdmin):
    validator = services.community_report_validate
    list_display = ("reference", "report_date", "subject", "item_category", "admin_area", "outcome", "status")
    list_filter = ("status", "subject", "outcome", "admin_area", "organisation")
    search_fields = ("reference", "external_id", "description")
    date_hierarchy = "report_date"
    list_select_related = ("admin_area", "organisation")
    autocomplete_fields = ("locality",)
    readonly_fields = (
        "reference",
        "status",
        "admin_area",
        "item_category_reported",
        "outcome",
        "hazard_area",
        "spot_task",
    )
    actions = ("make_spot_task", "make_hazard_area")

    def create(self, request, cleaned_data, data):
        return services.community_report_create(user=request.user, organisation=cleaned_data["organisation"], data=data)

    def update(self, request, obj, data):
        return services.community_report_update(report=obj, user=request.user, data=data)

    def _convert(self, request, queryset, convert) -> None:
        for report in queryset:
            try:
                result = convert(report)
            except (ApplicationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{report.reference}: {ServiceRefused.from_exception(exc).message}", messages.ERROR
                )
            else:
                self.message_user(request, f"{report.reference} → {result.reference}", messages.SUCCESS)

    @admin.action(description=_("Create an EOD spot task from the selected reports"))
    def make_spot_task(self, request, queryset):
        self._convert(
            request,
            queryset,
            lambda r: services.community_report_to_spot_task(
                report=r, user=request.user, organisation=r.organisation, start_date=timezone.localdate()
            ),
        )

    @admin.action(description=_("Create a suspected hazardous area from the selected reports"))
    def make_hazard_area(self, request, queryset):
        self._convert(
            request,
            queryset,
            lambda r: services.community_report_to_hazard_area(
                report=r, user=request.user, organisation=r.organisation
            ),
        )
