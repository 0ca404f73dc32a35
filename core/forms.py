"""Form fields the record pages share."""

from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


class LatLonWidget(forms.MultiWidget):
    """Latitude and longitude typed as decimal degrees, each with its own label; a map may fill
    them in (static/js/pick-point.js), but typing always works, offline and by keyboard."""

    template_name = "core/widgets/latlon.html"

    class Media:
        # A button that opens a map to pick the point; OpenLayers is fetched only then.
        js = ("js/small-map.js", "js/pick-point.js")

    def __init__(self, attrs=None):
        number = {"inputmode": "decimal", "autocomplete": "off", "class": "coordinate"}
        super().__init__([forms.TextInput(attrs=number), forms.TextInput(attrs=number)], attrs)

    def decompress(self, value):
        if value is None:
            return [None, None]
        if isinstance(value, str):
            from django.contrib.gis.geos import GEOSGeometry

            value = GEOSGeometry(value)
        return [round(value.y, 6), round(value.x, 6)]


class LatLonField(forms.MultiValueField):
    widget = LatLonWidget
    default_error_messages = {
        "incomplete": _("Give both the latitude and the longitude."),
        "latitude": _("The latitude must lie between -90 and 90 degrees."),
        "longitude": _("The longitude must lie between -180 and 180 degrees."),
    }

    def __init__(self, **kwargs):
        kwargs.pop("geom_type", None)
        kwargs.pop("srid", None)
        fields = (
            forms.DecimalField(max_digits=9, decimal_places=7, localize=True,
                               error_messages={"invalid": _("Give the latitude in decimal degrees, e.g. 14.4953.")}),
            forms.DecimalField(max_digits=10, decimal_places=7, localize=True,
                               error_messages={"invalid": _("Give the longitude in decimal degrees, e.g. -4.1962.")}),
        )  # fmt: skip
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or all(value in (None, "") for value in data_list):
            return None
        latitude, longitude = data_list
        if latitude in (None, "") or longitude in (None, ""):
            raise ValidationError(self.error_messages["incomplete"], code="incomplete")
        if not -90 <= latitude <= 90:
            raise ValidationError(self.error_messages["latitude"], code="latitude")
        if not -180 <= longitude <= 180:
            raise ValidationError(self.error_messages["longitude"], code="longitude")
        return Point(float(longitude), float(latitude), srid=4326)


def add_errors(form: forms.BaseForm, errors: dict[str, list[str]]) -> None:
    """A service's field errors on a form: on the field when the form shows it, else on the form
    with the field's name, so that no message is lost."""
    for field, field_messages in errors.items():
        target = field if field in form.fields else None
        for message in field_messages:
            if target is None and field != "non_field_errors":
                try:
                    label = form._meta.model._meta.get_field(field).verbose_name
                except (FieldDoesNotExist, AttributeError):
                    label = field
                message = f"{capfirst(label)}: {message}"
            form.add_error(target, message)
