from assistance import views
from core.pages import record_urls

urlpatterns = [
    *record_urls(
        views.SURVIVOR_PAGE,
        list_view=views.SurvivorList,
        detail_view=views.SurvivorDetail,
        create_view=views.SurvivorFormView,
        update_view=views.SurvivorFormView,
        order=55,
    ),
    *record_urls(
        views.SERVICE_PAGE,
        list_view=views.AssistanceServiceList,
        detail_view=views.AssistanceServiceDetail,
        create_view=views.AssistanceServiceFormView,
        update_view=views.AssistanceServiceFormView,
        order=60,
    ),
]
