"""The incident page's forms: the incident's own fields, and one row per casualty.

The forms only parse input; every rule (age group, device category, dates) is the service's
(`incidents.services`), whose refusals are put back on the field that caused them.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LatLonField
from core.pages import ScopedForm
from incidents.models import Casualty, CasualtyIdentity, Incident

CASUALTY_PREFIX = "casualties"
# Identity fields asked on a new casualty row (personal data: only for roles that write it).
IDENTITY_FIELDS = ("full_name", "date_of_birth")
IDENTITY_PERMISSION = "incidents.add_casualtyidentity"


class IncidentForm(ScopedForm):
    location = LatLonField(label=_("location"))

    sections = (
        (_("Report"), ("organisation", "external_id", "incident_class")),
        (_("When"), ("incident_date", "date_precision", "incident_time")),
        (_("Where"), ("location", "locality")),
        (
            _("What"),
            ("device_category_reported", "ordnance_type", "activation", "person_activated", "anti_handling_device"),
        ),
        (_("How"), ("how_activated", "moved_or_tampered", "activity_at_time", "description")),
    )

    class Meta:
        model = Incident
        fields = (
            "organisation", "external_id", "incident_class", "incident_date", "date_precision", "incident_time",
            "location", "locality", "device_category_reported", "ordnance_type", "activation", "person_activated",
            "anti_handling_device", "how_activated", "moved_or_tampered", "activity_at_time", "description",
        )  # fmt: skip
        widgets = {
            "incident_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "incident_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, the service takes the device model's category (or "unknown").
        self.fields["device_category_reported"].required = False
        self.fields["device_category_reported"].help_text = _("Leave empty to take the category of the device model.")
        if self.instance.pk is not None:
            # The reporting organisation is the report's identity: it does not change on an edit.
            self.fields["organisation"].disabled = True


class CasualtyForm(forms.ModelForm):
    """One casualty row. The age group is not asked: it follows the age (the service sets it)."""

    class Meta:
        model = Casualty
        fields = ("outcome", "sex", "age", "civilian_status", "injuries", "injury_description")
        widgets = {
            "age": forms.NumberInput(attrs={"min": 0, "max": 120, "inputmode": "numeric"}),
            "injury_description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, identity: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_new = self.instance.pk is None
        # Identities are only ever written with a new row; reading one already recorded is logged
        # and lives on its own page.
        if identity and self.is_new:
            self.fields["full_name"] = CasualtyIdentity._meta.get_field("full_name").formfield(required=False)
            self.fields["date_of_birth"] = CasualtyIdentity._meta.get_field("date_of_birth").formfield(
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            )

    def _post_clean(self):
        # The service is the one judge of a casualty (age, age group, identity): the model is not
        # validated twice, and its messages come back on the row (incidents.views.row_errors).
        pass

    @property
    def identity_fields(self) -> list:
        return [self[name] for name in IDENTITY_FIELDS if name in self.fields]

    @property
    def casualty_fields(self) -> list:
        return [self[name] for name in self._meta.fields]

    def service_data(self, *, changed_only: bool = False) -> dict:
        """The row as the service takes it: the casualty's fields, and its identity when given."""
        data = {name: self.cleaned_data.get(name) for name in self._meta.fields}
        if changed_only:
            data = {name: value for name, value in data.items() if name in self.changed_data}
        identity = {name: self.cleaned_data.get(name) for name in IDENTITY_FIELDS if name in self.fields}
        if any(value not in (None, "") for value in identity.values()):
            data["identity"] = {name: value for name, value in identity.items() if value not in (None, "")}
        return data


class BaseCasualtyFormSet(forms.BaseModelFormSet):
    """The incident's casualties: the rows recorded, plus new ones; a row ticked "remove" goes."""

    def __init__(self, *args, identity: bool = False, **kwargs):
        self.identity = identity
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this casualty")

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "identity": self.identity}

    def rows(self) -> list[tuple[int, CasualtyForm]]:
        """The rows that say something: recorded ones, and new ones that were filled in."""
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if form.instance.pk is not None or (form.has_changed() and not self._should_delete_form(form))
        ]


CasualtyFormSet = forms.modelformset_factory(
    Casualty,
    form=CasualtyForm,
    formset=BaseCasualtyFormSet,
    extra=1,
    can_delete=True,
    max_num=200,
    absolute_max=200,
    validate_max=True,
)
