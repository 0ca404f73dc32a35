from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from assistance import services
from assistance.filters import AssistanceServiceFilter, SurvivorFilter
from assistance.forms import AssistanceServiceForm, SurvivorForm
from assistance.models import AssistanceService, Survivor
from core import policy, registry
from core.pages import RecordDetailView, RecordFormView, RecordListView, display_value, record_url
from core.selectors import scoped

SURVIVOR_PAGE = "survivors"
SERVICE_PAGE = "services"

# A survivor's needs and disability are health data about a person: read, like the personal
# fields of the registry, only by the authority and the organisation that wrote them.
SURVIVOR_HEALTH_FIELDS = ("needs", "has_disability")


def hidden_fields(user, record) -> set[str]:
    """Fields of `record` this user must not read (core.policy.may_read_personal_fields)."""
    names = set(registry.get(record).personal_fields)
    if isinstance(record, Survivor):
        names |= set(SURVIVOR_HEALTH_FIELDS)
    return set() if not names or policy.may_read_personal_fields(user, record) else names


class PersonalDataListMixin:
    """List columns of personal fields stay empty on rows the user may not read them in."""

    def cells(self, record) -> list:
        cells = super().cells(record)
        hidden = hidden_fields(self.request.user, record)
        if not hidden:
            return cells
        return [
            "–" if isinstance(column, str) and column in hidden else cell
            for column, cell in zip(self.columns, cells, strict=True)
        ]


class SurvivorList(PersonalDataListMixin, RecordListView):
    model = Survivor
    page_name = SURVIVOR_PAGE
    filterset_class = SurvivorFilter
    columns = (
        (_("Survivor"), str),
        "casualty",
        "has_disability",
        "organisation",
        "status",
        "updated_at",
    )
    ordering_fields = ("updated_at",)
    select_related = ("casualty", "organisation")


class SurvivorDetail(RecordDetailView):
    model = Survivor
    page_name = SURVIVOR_PAGE
    template_name = "assistance/survivor_detail.html"
    select_related = ("organisation", "casualty__incident")
    fields = (("", ("organisation", "external_id", "casualty", "needs", "has_disability")),)

    def sections(self, record):
        hidden = hidden_fields(self.request.user, record)
        # Per request (a view instance serves one): the fields this reader may see.
        self.fields = tuple((title, tuple(n for n in names if n not in hidden)) for title, names in type(self).fields)
        return super().sections(record)

    def linked(self, record):
        user = self.request.user
        incident = record.casualty.incident
        came_from = [(f"{incident} · {record.casualty}", record_url(record.casualty))]
        if not policy.may_view(user, incident):
            came_from = [(str(record.casualty), None)]
        given = scoped(AssistanceService.objects.filter(survivor=record), user).order_by("start_date", "id")
        return [
            (_("Incident and casualty"), came_from),
            (
                _("Services given"),
                [(f"{service} · {display_value(service, 'start_date')} · {service.get_status_display()}",
                  record_url(service)) for service in given],
            ),
        ]  # fmt: skip

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = context["record"]
        add_service = None
        if self.request.user.has_perm(registry.get(AssistanceService).permission("add")):
            try:
                add_service = f"{reverse(f'{SERVICE_PAGE}-new')}?survivor={record.pk}"
            except NoReverseMatch:
                add_service = None
        context["add_service_url"] = add_service
        return context


class SurvivorFormView(RecordFormView):
    model = Survivor
    page_name = SURVIVOR_PAGE
    form_class = SurvivorForm

    def initial(self, record):
        initial = super().initial(record)
        # "Follow as a survivor" from a casualty: the form opens with it chosen.
        if record is None and self.request.GET.get("casualty", "").isdigit():
            initial["casualty"] = self.request.GET["casualty"]
        return initial

    def save(self, form, record):
        if record is None:
            return services.survivor_create(
                user=self.request.user, organisation=form.cleaned_data["organisation"], data=form.service_data()
            )
        return services.survivor_update(
            survivor=record, user=self.request.user, data=form.service_data(changed_only=True)
        )


class AssistanceServiceList(RecordListView):
    model = AssistanceService
    page_name = SERVICE_PAGE
    filterset_class = AssistanceServiceFilter
    columns = (
        "service_type",
        (_("Survivor"), lambda service: _("Survivor #%(id)s") % {"id": service.survivor_id}),
        "provider",
        "start_date",
        "end_date",
        "outcome",
        "organisation",
        "status",
    )
    ordering_fields = ("start_date", "updated_at")
    select_related = ("provider", "organisation")


class AssistanceServiceDetail(RecordDetailView):
    model = AssistanceService
    page_name = SERVICE_PAGE
    select_related = ("organisation", "provider", "survivor")
    fields = (
        ("", ("organisation", "external_id", "service_type", "provider", "provider_name")),
        ("", ("start_date", "date_precision", "end_date", "outcome", "notes")),
    )

    def linked(self, record):
        survivor = record.survivor
        url = record_url(survivor) if policy.may_view(self.request.user, survivor) else None
        return [(_("Survivor"), [(str(survivor), url)])]


class AssistanceServiceFormView(RecordFormView):
    model = AssistanceService
    page_name = SERVICE_PAGE
    form_class = AssistanceServiceForm

    def initial(self, record):
        initial = super().initial(record)
        # "Add a service" from a survivor's page: the form opens with the survivor chosen.
        if record is None and self.request.GET.get("survivor", "").isdigit():
            initial["survivor"] = self.request.GET["survivor"]
        return initial

    def save(self, form, record):
        if record is None:
            data = form.service_data()
            survivor = data.pop("survivor")
            return services.assistance_service_create(
                user=self.request.user, organisation=form.cleaned_data["organisation"], survivor=survivor, data=data
            )
        return services.assistance_service_update(
            service=record, user=self.request.user, data=form.service_data(changed_only=True)
        )
