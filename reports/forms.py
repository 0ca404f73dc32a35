"""Forms of the export and treaty report pages. They only parse what was posted: the services
(reports.services) decide whether the export or the report may be asked, and say why not."""

from urllib.parse import urlsplit

from django import forms
from django.http import QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.models import Export
from reports.treaty import FORMATS as REPORT_FORMATS
from reports.treaty import REPORT_KINDS

# One line on what each report holds, beside its name on the form (reports.treaty.sections).
REPORT_DESCRIPTIONS = {
    "article7": _(
        "The yearly transparency report of the Anti-Personnel Mine Ban Convention: forms C, F, G, I and J "
        "(contaminated areas, land released, mines destroyed, warning the population, casualties and assistance)."
    ),
    "article5": _(
        "The annex of an extension request: contamination remaining on 31 December, land released each year, and "
        "a yearly work plan."
    ),
    "monitor": _(
        "Casualties of the year by device, sex, age group and civilian status, in the Landmine Monitor's groups."
    ),
    "ccm": _(
        "The yearly transparency report of the Convention on Cluster Munitions: forms F, G and H (contaminated areas "
        "and their clearance, risk education, victim assistance)."
    ),
}
FORMAT_LABELS = dict(Export.Format.choices)


class ExportForm(forms.Form):
    """A list page's Export control: the format, the list's address and its query string."""

    format = forms.CharField(max_length=8, required=False)
    list = forms.CharField(max_length=200)
    query = forms.CharField(max_length=4000, required=False)

    def clean_list(self):
        """The record list page the export was asked from (a `core.pages.RecordListView`)."""
        from core.pages import RecordListView

        path = urlsplit(self.cleaned_data["list"]).path
        try:
            view = resolve(path).func.view_class
        except (Resolver404, AttributeError):
            view = None
        if view is None or not issubclass(view, RecordListView):
            raise forms.ValidationError(_("This page is not a list of records that can be exported."))
        self.list_view = view
        return path

    def filters(self) -> dict:
        """The list's own filters, as the list page reads them from its query string: its sorting
        and page number, and the empty fields of its filter form, are no filters."""
        query = QueryDict(self.cleaned_data.get("query", ""))
        known = self.list_view.filterset_class.base_filters
        filters = {}
        for name in query:
            if name not in known:
                continue
            values = [value for value in query.getlist(name) if value.strip()]
            if values:
                filters[name] = values[0] if len(values) == 1 else values
        return filters


class ReportForm(forms.Form):
    """A treaty report to ask for: which one, of which calendar year, in which format."""

    # Named as the service names its errors (reports.services.report_request).
    report = forms.ChoiceField(
        label=_("Treaty report"), choices=list(REPORT_KINDS.items()), widget=forms.RadioSelect, initial="article7"
    )
    year = forms.IntegerField(label=_("Year"), help_text=_("The calendar year reported on."))
    format = forms.ChoiceField(
        label=_("Format"), choices=[(code, FORMAT_LABELS[code]) for code in REPORT_FORMATS], initial="xlsx"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Reports are due early in the year for the year before (APMBC Art. 7: by 30 April).
        self.fields["year"].initial = timezone.localdate().year - 1

    def kinds(self) -> list[dict]:
        """Each report's radio button with its one-line description."""
        return [
            {"radio": radio, "description": REPORT_DESCRIPTIONS.get(radio.data["value"], "")}
            for radio in self["report"]
        ]
