from core.pages import record_urls
from education import views

urlpatterns = record_urls(
    views.PAGE,
    list_view=views.RiskEducationSessionList,
    detail_view=views.RiskEducationSessionDetail,
    create_view=views.RiskEducationSessionFormView,
    update_view=views.RiskEducationSessionFormView,
    order=50,
)
