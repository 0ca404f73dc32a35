from community import views
from core.pages import record_urls

urlpatterns = record_urls(
    views.PAGE,
    list_view=views.CommunityReportList,
    detail_view=views.CommunityReportDetail,
    create_view=views.CommunityReportFormView,
    update_view=views.CommunityReportFormView,
    order=70,
)
