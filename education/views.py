from django.utils.translation import gettext_lazy as _

from core.pages import RecordDetailView, RecordFormView, RecordListView
from education import services
from education.filters import RiskEducationSessionFilter
from education.forms import RiskEducationSessionForm
from education.models import RiskEducationSession

PAGE = "risk-education"


class RiskEducationSessionList(RecordListView):
    model = RiskEducationSession
    page_name = PAGE
    filterset_class = RiskEducationSessionFilter
    columns = (
        "reference",
        "session_date",
        "method",
        "target_group",
        (_("Beneficiaries"), lambda session: session.beneficiaries),
        "admin_area",
        "organisation",
        "status",
    )
    ordering_fields = ("reference", "session_date", "updated_at")
    select_related = ("admin_area", "organisation")


class RiskEducationSessionDetail(RecordDetailView):
    model = RiskEducationSession
    page_name = PAGE
    select_related = ("admin_area", "organisation", "locality")
    fields = (
        ("", ("reference", "organisation", "external_id", "session_date", "date_precision", "method", "target_group",
              "admin_area", "locality")),
        (_("Beneficiaries"), ("girls", "boys", "women", "men", "with_disability")),
        ("", ("notes",)),
    )  # fmt: skip

    def sections(self, record):
        sections = super().sections(record)
        # The total is what reports quote; it is computed, not a field of its own.
        title, rows = sections[1]
        sections[1] = (title, [*rows[:4], (_("Total beneficiaries"), record.beneficiaries), *rows[4:]])
        return sections


class RiskEducationSessionFormView(RecordFormView):
    model = RiskEducationSession
    page_name = PAGE
    form_class = RiskEducationSessionForm
    template_name = "education/riskeducationsession_form.html"

    def save(self, form, record):
        if record is None:
            return services.risk_education_session_create(
                user=self.request.user, organisation=form.cleaned_data["organisation"], data=form.service_data()
            )
        return services.risk_education_session_update(
            session=record, user=self.request.user, data=form.service_data(changed_only=True)
        )
