"""A record's main date in the API, known to the day, the month or the year (core.dates)."""

import datetime
import re

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.models import DatePrecision

PRECISION_FIELD = "date_precision"
# Finest first: a precision may be coarser than what was sent, never finer.
FINENESS = {DatePrecision.DAY: 0, DatePrecision.MONTH: 1, DatePrecision.YEAR: 2}


class _PartialDate(datetime.date):
    """The first day of a period sent as "2003" or "2003-07", with the precision it implies."""

    precision: str


class PeriodDateField(serializers.DateField):
    """An ISO date, or only its year ("2003") or month ("2003-07"). Answers always carry the full
    date stored (the first day of the period)."""

    formats = "YYYY-MM-DD, YYYY-MM, YYYY"

    def to_internal_value(self, value):
        match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", value.strip()) if isinstance(value, str) else None
        if match is None:
            try:
                return super().to_internal_value(value)
            except serializers.ValidationError:
                if isinstance(value, str):
                    self.fail("invalid", format=self.formats)
                raise
        try:
            partial = _PartialDate(int(match[1]), int(match[2] or 1), 1)
        except ValueError:
            self.fail("invalid", format=self.formats)
        partial.precision = DatePrecision.MONTH if match[2] else DatePrecision.YEAR
        return partial


# For a record serializer whose model has a `date_precision`: its registry `date_field` accepts
# "2003" and "2003-07", and such a date sets `date_precision` when the request does not. A
# precision finer than what was sent is refused; a coarser one is the service's to apply.
# (No docstring: the schema describes each serializer by the first docstring of its classes.)
class DatePrecisionMixin:
    def _date_field_name(self) -> str | None:
        from core import registry

        return registry.get(self.Meta.model).date_field

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name == self._date_field_name():
            field_class = PeriodDateField
            kwargs["help_text"] = (
                f"{model_field.verbose_name.capitalize()}: YYYY-MM-DD, or YYYY-MM or YYYY when only the month or the "
                "year is known (this sets date_precision). A date known by its month or year is stored as the 1st of "
                "the month, or 1 January."
            )
        return field_class, kwargs

    def validate(self, attrs):
        attrs = super().validate(attrs)
        name = self._date_field_name()
        value = attrs.get(name)
        if isinstance(value, _PartialDate):
            precision = attrs.setdefault(PRECISION_FIELD, value.precision)
            if FINENESS.get(precision, 0) < FINENESS[value.precision]:
                raise serializers.ValidationError(
                    {
                        name: [
                            _('Only the %(known)s is given: send the full date, or date_precision "%(known)s".')
                            % {"known": value.precision}
                        ]
                    }
                )
            attrs[name] = datetime.date(value.year, value.month, value.day)
        return attrs
