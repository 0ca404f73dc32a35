"""The dashboard's filters: a period, a région and an organisation, turned into the parameters
the statistics API takes (`date_after`, `date_before`, `admin_area`, `organisation`)."""

import datetime
import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from reference.country import level_name
from reference.models import AdministrativeArea, Organisation, area_name

# Records older than this are not mine action data: a typing error.
FIRST_YEAR = 1940


def current_regions() -> list[AdministrativeArea]:
    """Level-1 areas (régions in Mali) in their current boundary, by name in the reader's language."""
    areas = AdministrativeArea.objects.filter(level=AdministrativeArea.Level.ADMIN1, valid_to__isnull=True)
    return sorted(areas.only("pcode", "name_fr", "name_en", "names"), key=_sort_key)


def _sort_key(area: AdministrativeArea) -> str:
    # Ménaka between Koulikoro and Mopti, not after Mopti: accents do not order names.
    return unicodedata.normalize("NFKD", area_name(area)).encode("ascii", "ignore").decode().casefold()


class DashboardFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, help_text=_("Or give the first and last day below."))
    date_after = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_before = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    # Labelled by the country's name for its first level (Région in Mali).
    admin_area = forms.ChoiceField(required=False)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)

    def __init__(self, *args, regions: list[AdministrativeArea], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["admin_area"].label = level_name(1)
        self.fields["admin_area"].choices = [("", _("Whole country"))] + [(a.pcode, area_name(a)) for a in regions]
        organisations = Organisation.objects.order_by("acronym").values_list("acronym", "name")
        self.fields["organisation"].choices = [("", _("Every organisation"))] + [
            (acronym, f"{acronym} · {name}" if name and name != acronym else acronym) for acronym, name in organisations
        ]

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year is not None and not (FIRST_YEAR <= year <= datetime.date.today().year):
            raise forms.ValidationError(
                _("Give a year between %(first)s and %(last)s."),
                params={"first": FIRST_YEAR, "last": datetime.date.today().year},
                code="year",
            )
        return year

    def clean(self):
        cleaned = super().clean()
        year, after, before = cleaned.get("year"), cleaned.get("date_after"), cleaned.get("date_before")
        if year is not None and (after or before):
            self.add_error("year", _("Give a year or a first and last day, not both."))
        elif after and before and after > before:
            self.add_error("date_before", _("The last day comes after the first."))
        return cleaned

    def filters(self) -> dict[str, str]:
        """The API's filter parameters, for a valid (or unbound) form."""
        if not self.is_bound:
            return {}
        data = self.cleaned_data
        filters = {}
        if data.get("year") is not None:
            filters["date_after"] = datetime.date(data["year"], 1, 1).isoformat()
            filters["date_before"] = datetime.date(data["year"], 12, 31).isoformat()
        for name in ("date_after", "date_before"):
            if data.get(name):
                filters[name] = data[name].isoformat()
        for name in ("admin_area", "organisation"):
            if data.get(name):
                filters[name] = data[name]
        return filters
