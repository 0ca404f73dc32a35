from django import forms
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from core.forms import LatLonField
from core.geofiles import MAX_BYTES, GeoFileError, read_geometry_file, read_geometry_text
from core.pages import ScopedForm, ServiceValidatedForm
from hazards.models import HazardArea, LandReleaseActivity
from hazards.services import RELEASED_AREAS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Slightly more than a degree's millionth: what a GeoJSON round trip through the page may change.
SAME_GEOMETRY_TOLERANCE = 1e-9


def _organisation_fixed_once_saved(form: ScopedForm) -> None:
    # The services take the reporting organisation at creation only: an edit shows it, never changes it.
    if form.instance.pk and "organisation" in form.fields:
        form.fields["organisation"].disabled = True


class PolygonTextField(forms.CharField):
    """A polygon typed or pasted as GeoJSON or WKT (the map writes GeoJSON here): the form still
    works without JavaScript. The value is a multipolygon; `notes` tell what reading it changed."""

    widget = forms.Textarea

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)
        self.notes: list[str] = []

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # Coordinates read left to right in every language; nothing to correct or complete.
        attrs.update({"rows": 4, "dir": "ltr", "spellcheck": "false", "autocomplete": "off", "class": "geometry-text"})
        return attrs

    def prepare_value(self, value):
        if isinstance(value, GEOSGeometry):
            return value.json
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            read = read_geometry_text(text)
        except GeoFileError as exc:
            raise ValidationError(exc.message, code="geometry") from None
        self.notes = read.notes
        return read.geometry

    def has_changed(self, initial, data):
        try:
            new = self.to_python(data)
        except ValidationError:
            return True
        old = initial
        if isinstance(initial, str):
            try:
                old = self.to_python(initial)
            except ValidationError:
                return True
        if old is None or new is None:
            return (old is None) != (new is None)
        return not old.equals_exact(new, tolerance=SAME_GEOMETRY_TOLERANCE)


class HazardAreaForm(ServiceValidatedForm):
    """A hazardous area, its polygon drawn on the map, loaded from a file or pasted as text."""

    geometry_file = forms.FileField(
        label=_("Load the polygon from a file"),
        required=False,
        # Filled in when shown, in the reader's language (a lazy text formatted here would be English).
        help_text=lazy(
            lambda: (
                _("GPX, KML or GeoJSON, at most %(size)s MB. A file replaces what is drawn or pasted.")
                % {"size": MAX_BYTES // 1024 // 1024}
            ),
            str,
        )(),
        widget=forms.ClearableFileInput(attrs={"accept": ".gpx,.kml,.geojson,.json"}),
    )
    geometry = PolygonTextField(
        label=_("Polygon (GeoJSON or WKT)"),
        help_text=_("Drawn on the map above, or pasted: GeoJSON, or WKT such as POLYGON((lon lat, ...)) in WGS84."),
    )

    sections = (
        (_("Hazardous area"), ("organisation", "external_id", "name", "land_class", "survey_date", "date_precision")),
        (_("Polygon"), ("geometry_file", "geometry")),
        (_("Contamination and evidence"), ("contamination_types", "improvised_av_person_sensitive", "evidence",
                                           "evidence_description")),
        (_("Impact"), ("blocked_land_use", "beneficiaries", "priority")),
    )  # fmt: skip

    class Meta:
        model = HazardArea
        fields = (
            "organisation", "external_id", "name", "land_class", "survey_date", "date_precision", "geometry",
            "contamination_types", "improvised_av_person_sensitive", "evidence", "evidence_description",
            "blocked_land_use", "beneficiaries", "priority",
        )  # fmt: skip
        widgets = {
            "survey_date": DATE,
            "evidence_description": forms.Textarea(attrs={"rows": 3}),
            "improvised_av_person_sensitive": forms.NullBooleanSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.geometry_notes: list[str] = []
        self.geometry_from_file = False
        _organisation_fixed_once_saved(self)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("geometry_file")
        if upload:
            try:
                read = read_geometry_file(upload)
            except GeoFileError as exc:
                self.add_error("geometry_file", exc.message)
                return cleaned
            # The file decides: what was typed or drawn beside it (even unreadable) is replaced.
            self.errors.pop("geometry", None)
            cleaned["geometry"] = read.geometry
            self.geometry_notes = read.notes
            self.geometry_from_file = True
            # Shown again in the text field (and on the map) if the page comes back with errors.
            self.data = self.data.copy()
            self.data[self.add_prefix("geometry")] = read.geometry.json
        elif "geometry" not in self.errors:
            if cleaned.get("geometry") is None:
                self.add_error("geometry", _("Draw the polygon, load a file or paste its coordinates."))
            else:
                self.geometry_notes = self.fields["geometry"].notes
        return cleaned

    def service_data(self, *, changed_only: bool = False) -> dict:
        data = super().service_data(changed_only=changed_only)
        data.pop("geometry_file", None)
        if self.geometry_from_file:
            data["geometry"] = self.cleaned_data["geometry"]
        return data


class HazardReferenceField(forms.ModelChoiceField):
    """A hazardous area by its reference code: a list of every area would not fit a page."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        super().__init__(queryset=HazardArea.objects.all(), to_field_name="reference", **kwargs)
        self.error_messages["invalid_choice"] = _("No hazardous area with this reference, or not visible to you.")

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"autocomplete": "off", "spellcheck": "false", "dir": "ltr"})
        return attrs

    def prepare_value(self, value):
        if isinstance(value, HazardArea):
            return value.reference
        return value


class LandReleaseActivityForm(ServiceValidatedForm):
    """An activity's report. Areas are typed in one unit for the whole report (the service
    converts them to m²), or given by their polygons, which then decide the figures."""

    hazard_area = HazardReferenceField(
        label=_("Hazardous area"),
        required=False,
        help_text=_("Its reference code, e.g. ML-HA-000123. Not needed for an EOD spot task or marking."),
    )
    location = LatLonField(label=_("Location"), required=False)
    area_unit = forms.ChoiceField(
        label=_("Unit of the areas"),
        choices=(("m2", _("Square metres (m²)")), ("ha", _("Hectares (ha)")), ("km2", _("Square kilometres (km²)"))),
        initial="m2",
        help_text=_("Every area typed in this form is read in this unit."),
    )
    area_cancelled_m2 = forms.FloatField(label=_("Area cancelled"), required=False, min_value=0, localize=True)
    area_reduced_m2 = forms.FloatField(label=_("Area reduced"), required=False, min_value=0, localize=True)
    area_cleared_m2 = forms.FloatField(label=_("Area cleared"), required=False, min_value=0, localize=True)
    cancelled_geometry = PolygonTextField(label=_("Cancelled polygon (GeoJSON or WKT)"))
    reduced_geometry = PolygonTextField(label=_("Reduced polygon (GeoJSON or WKT)"))
    cleared_geometry = PolygonTextField(label=_("Cleared polygon (GeoJSON or WKT)"))

    sections = (
        (_("Activity"), ("organisation", "external_id", "kind", "report_type", "hazard_area", "start_date",
                         "date_precision", "end_date")),
        (_("Place"), ("location",)),
        (_("Land released"), ("area_unit", "area_cancelled_m2", "area_reduced_m2", "area_cleared_m2",
                              "cancelled_geometry", "reduced_geometry", "cleared_geometry", "clearance_depth_cm")),
        (_("Handover"), ("handover_men", "handover_women", "handover_boys", "handover_girls")),
        (_("Notes"), ("notes",)),
    )  # fmt: skip

    class Meta:
        model = LandReleaseActivity
        fields = (
            "organisation", "external_id", "kind", "report_type", "hazard_area", "start_date", "date_precision",
            "end_date", "location", "area_cancelled_m2", "area_reduced_m2", "area_cleared_m2", "cancelled_geometry",
            "reduced_geometry", "cleared_geometry", "clearance_depth_cm", "handover_men", "handover_women",
            "handover_boys", "handover_girls", "notes",
        )  # fmt: skip
        widgets = {"start_date": DATE, "end_date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _organisation_fixed_once_saved(self)
        # The code, not the row number, is what the reader knows and types.
        if self.instance.pk and self.instance.hazard_area_id:
            self.initial["hazard_area"] = self.instance.hazard_area.reference

    @property
    def unit(self) -> str:
        return self.cleaned_data.get("area_unit") or "m2"

    def service_data(self, *, changed_only: bool = False) -> dict:
        data = super().service_data(changed_only=changed_only)
        data.pop("area_unit", None)
        unit_changed = changed_only and self.unit != "m2"
        for name in RELEASED_AREAS:
            if unit_changed:
                # In another unit, every figure of the form is read again in it.
                data[name] = self.cleaned_data.get(name)
            if name in data and data[name] is None:
                # Empty is none released, or "take the polygon's area" (the service's rule).
                if changed_only:
                    data[name] = 0
                else:
                    data.pop(name)
        return data
