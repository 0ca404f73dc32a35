from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import MapAdminMixin
from reference.models import AdministrativeArea, Locality, OrdnanceType, Organisation


@admin.register(AdministrativeArea)
class AdministrativeAreaAdmin(MapAdminMixin, GISModelAdmin):
    list_display = ("display_name", "pcode", "iso_code", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level", ("valid_to", admin.EmptyFieldListFilter))
    # `names` is searched as JSON text: a name in any language finds its area.
    search_fields = ("name_fr", "name_en", "names", "pcode", "iso_code")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)

    @admin.display(description=_("name"), ordering="name_fr")
    def display_name(self, area: AdministrativeArea) -> str:
        # In the reader's language, else the country's default language (reference.models.area_name).
        return area.name


@admin.register(Locality)
class LocalityAdmin(MapAdminMixin, GISModelAdmin):
    list_display = ("name", "kind", "admin_area", "population")
    list_filter = ("kind", "admin_area")
    search_fields = ("name", "pcode")
    list_select_related = ("admin_area",)
    readonly_fields = ("admin_area",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("acronym", "name", "kind", "accredited_from", "accredited_to", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("acronym", "name")


@admin.register(OrdnanceType)
class OrdnanceTypeAdmin(admin.ModelAdmin):
    list_display = ("model", "display_name", "category", "improvised", "activation")
    list_filter = ("category", "improvised", "activation")
    search_fields = ("model", "names")

    @admin.display(description=_("name"))
    def display_name(self, ordnance: OrdnanceType) -> str:
        return ordnance.name
