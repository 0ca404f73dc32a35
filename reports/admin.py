from django.contrib import admin
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from reports.models import ClearanceCapacity


@admin.register(ClearanceCapacity)
class ClearanceCapacityAdmin(admin.ModelAdmin):
    """The capacity the Article 5 work plan assumes (reports.treaty): edited in the list, a row
    per year from which it changes."""

    list_display = ("start_year", "teams", "m2_per_team_per_year", "m2_per_year", "note")
    list_editable = ("teams", "m2_per_team_per_year")
    list_display_links = ("start_year",)
    ordering = ("start_year",)
    search_fields = ("note",)

    @admin.display(description=_("m² released per year"))
    def m2_per_year(self, capacity: ClearanceCapacity) -> str:
        return number_format(capacity.teams * capacity.m2_per_team_per_year, 0, force_grouping=True)
