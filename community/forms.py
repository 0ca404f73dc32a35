from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import CommunityReport
from core.forms import LatLonField
from core.pages import ScopedForm


class CommunityReportForm(ScopedForm):
    location = LatLonField(label=_("location"))

    sections = (
        (_("Report"), ("organisation", "external_id", "report_date", "date_precision", "subject", "reporter_name")),
        (_("Place"), ("location", "locality")),
        (_("What was seen"), ("item_category", "item_person_sensitive", "item_count", "description")),
    )

    class Meta:
        model = CommunityReport
        fields = (
            "organisation", "external_id", "report_date", "date_precision", "subject", "reporter_name",
            "location", "locality", "item_category", "item_person_sensitive", "item_count", "description",
        )  # fmt: skip
        widgets = {"report_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
