from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import ApiQuota, Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    autocomplete_fields = ("organisation",)


admin.site.unregister(User)


@admin.register(User)
class UserWithOrganisationAdmin(UserAdmin):
    inlines = (ProfileInline,)
    list_display = (*UserAdmin.list_display, "organisation")
    list_select_related = ("profile__organisation",)

    @admin.display(description=Profile._meta.get_field("organisation").verbose_name)
    def organisation(self, user) -> str:
        profile = getattr(user, "profile", None)
        return str(profile.organisation) if profile else "–"


@admin.register(ApiQuota)
class ApiQuotaAdmin(admin.ModelAdmin):
    """Organisations' own API request limits, set by the authority administrator (accounts.roles)."""

    list_display = ("organisation", "rate", "reason", "updated_at")
    search_fields = ("organisation__acronym", "organisation__name")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
