from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.forms import LatLonField
from core.pages import ServiceValidatedForm
from education.models import RiskEducationSession


class RiskEducationSessionForm(ServiceValidatedForm):
    location = LatLonField(label=capfirst(RiskEducationSession._meta.get_field("location").verbose_name))

    sections = (
        (_("Session"), ("organisation", "external_id", "session_date", "date_precision", "method", "target_group")),
        (_("Place"), ("location", "locality")),
        (_("Beneficiaries"), ("girls", "boys", "women", "men", "with_disability")),
        (_("Notes"), ("notes",)),
    )

    class Meta:
        model = RiskEducationSession
        fields = (
            "organisation", "external_id", "session_date", "date_precision", "method", "target_group",
            "location", "locality", "girls", "boys", "women", "men", "with_disability", "notes",
        )  # fmt: skip
        widgets = {
            "session_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
