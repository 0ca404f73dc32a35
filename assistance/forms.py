from django import forms
from django.utils.translation import gettext_lazy as _

from assistance.models import AssistanceService, Survivor
from core.pages import ServiceValidatedForm


def _record_number_input() -> forms.TextInput:
    # A number rather than a list: there may be thousands of casualties or survivors to choose from.
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 10})


class SurvivorForm(ServiceValidatedForm):
    sections = (
        (_("Survivor"), ("organisation", "external_id", "casualty")),
        (_("Assistance"), ("needs", "has_disability")),
    )

    class Meta:
        model = Survivor
        fields = ("organisation", "external_id", "casualty", "needs", "has_disability")
        widgets = {"casualty": _record_number_input(), "needs": forms.Textarea(attrs={"rows": 3})}
        labels = {"casualty": _("casualty number")}
        help_texts = {"casualty": _("The number of the injured casualty, as shown on the incident's page.")}
        error_messages = {"casualty": {"invalid_choice": _("No casualty you may read has this number.")}}


class AssistanceServiceForm(ServiceValidatedForm):
    sections = (
        (_("Service"), ("organisation", "external_id", "survivor", "service_type", "provider", "provider_name")),
        (_("Period and outcome"), ("start_date", "date_precision", "end_date", "outcome")),
        (_("Notes"), ("notes",)),
    )

    class Meta:
        model = AssistanceService
        fields = (
            "organisation", "external_id", "survivor", "service_type", "provider", "provider_name",
            "start_date", "date_precision", "end_date", "outcome", "notes",
        )  # fmt: skip
        widgets = {
            "survivor": _record_number_input(),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"survivor": _("survivor number")}
        help_texts = {"survivor": _("The number shown on the survivor's page (Survivor #…).")}
        error_messages = {"survivor": {"invalid_choice": _("No survivor you may read has this number.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A service stays with the survivor it was given to (the service refuses to move it).
        if self.instance.pk is not None:
            del self.fields["survivor"]
