from community import services
from community.filters import CommunityReportFilter
from community.forms import CommunityReportForm
from community.models import CommunityReport
from core.pages import RecordDetailView, RecordFormView, RecordListView, record_url

PAGE = "community-reports"


class CommunityReportList(RecordListView):
    model = CommunityReport
    page_name = PAGE
    filterset_class = CommunityReportFilter
    columns = (
        "reference",
        "report_date",
        "subject",
        "item_category",
        "admin_area",
        "organisation",
        "outcome",
        "status",
    )
    ordering_fields = ("reference", "report_date")
    select_related = ("admin_area", "organisation")


class CommunityReportDetail(RecordDetailView):
    model = CommunityReport
    page_name = PAGE
    select_related = ("admin_area", "organisation", "locality", "hazard_area", "spot_task")
    fields = (
        ("", ("reference", "organisation", "external_id", "report_date", "date_precision", "subject", "reporter_name")),
        ("", ("admin_area", "locality", "item_category", "item_category_reported", "item_person_sensitive",
              "item_count", "description", "outcome")),
    )  # fmt: skip

    def linked(self, record):
        results = [
            (str(linked), record_url(linked)) for linked in (record.hazard_area, record.spot_task) if linked is not None
        ]
        return [(CommunityReport._meta.get_field("hazard_area").verbose_name.capitalize(), results)] if results else []


class CommunityReportFormView(RecordFormView):
    model = CommunityReport
    page_name = PAGE
    form_class = CommunityReportForm

    def save(self, form, record):
        if record is None:
            return services.community_report_create(
                user=self.request.user, organisation=form.cleaned_data["organisation"], data=form.service_data()
            )
        return services.community_report_update(
            report=record, user=self.request.user, data=form.service_data(changed_only=True)
        )
