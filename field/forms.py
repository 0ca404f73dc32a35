from django import forms
from django.utils.translation import gettext_lazy as _

from core import policy, registry
from field.models import IMPORT_TYPES, ImportMapping
from reference.models import Organisation


class ImportForm(forms.Form):
    """A file to check: its record type, for which organisation, read with which mapping."""

    record_type = forms.ChoiceField(label=_("Records"), choices=IMPORT_TYPES)
    organisation = forms.ModelChoiceField(
        label=_("Reporting organisation"), queryset=Organisation.objects.order_by("acronym"), required=False,
        help_text=_("Empty: yours."),
    )  # fmt: skip
    mapping = forms.ModelChoiceField(
        label=_("Mapping"), queryset=ImportMapping.objects.all(), required=False, to_field_name="name",
        help_text=_("Empty: the columns are named as the API's fields (points as longitude and latitude)."),
    )  # fmt: skip
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV, XLSX, GeoJSON, GeoPackage (.gpkg) or zipped Shapefile (.zip); the first row names the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.geojson,.json,.gpkg,.zip"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # What the user may report: their role's record types; a partner for its own organisation only.
        self.fields["record_type"].choices = [
            (slug, label) for slug, label in IMPORT_TYPES if user.has_perm(registry.by_slug(slug).permission("add"))
        ]
        if not policy.is_authority(user):
            del self.fields["organisation"]
