from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.forms import AdminLoginForm
from core.views import healthz

admin.site.site_header = _("Mine Action IMS: national database")
admin.site.site_title = _("Mine Action IMS")
admin.site.index_title = _("National mine action database")
# The admin's login asks for the second factor too (accounts.second_factor).
admin.site.login_form = AdminLoginForm
admin.site.login_template = "admin/login_second_factor.html"

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("mineaction.api_urls")),
    path("ogcapi/", include("gis.ogcapi_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Its start-up script is a second request to the same URL, not inline: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("quality/", include("quality.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("odk/", include("field.odk_urls")),
    path("", include("core.urls")),
    path("", include("dashboard.urls")),
    path("", include("gis.urls")),
    path("", include("incidents.urls")),
    path("", include("hazards.urls")),
    path("", include("education.urls")),
    path("", include("assistance.urls")),
    path("", include("community.urls")),
    path("", include("reports.urls")),
    path("", include("field.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.middleware.server_error"
