"""Filters every list of reported records offers, shared by the API and the pages."""

import datetime

import django_filters
from django import forms
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from core.models import RecordStatus
from reference.models import AdministrativeArea, Organisation


def admin_area_ids(pcode: str) -> list[int]:
    """Every boundary version of the area with this P-code and of every area below it (up to 3
    levels down). The P-code is an area's identity across boundary changes: a record keeps the
    version it was placed in, and filters and région scoping still find it after a new version."""
    return list(
        AdministrativeArea.objects.filter(
            Q(pcode=pcode) | Q(parent__pcode=pcode) | Q(parent__parent__pcode=pcode)
            | Q(parent__parent__parent__pcode=pcode)
        ).values_list("id", flat=True)
    )  # fmt: skip


def parse_bbox(value: str) -> Polygon:
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise ValidationError(_("Give the box as west,south,east,north in degrees (WGS84).")) from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError(_("The box must have west < east and south < north, within -180..180 and -90..90."))
    return Polygon.from_bbox((west, south, east, north))


class BBoxField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return parse_bbox(value) if value else None


class BBoxFilter(django_filters.CharFilter):
    field_class = BBoxField

    def filter(self, qs, value):
        if value is None:
            return qs
        value.srid = 4326
        return qs.filter(**{f"{self.field_name}__intersects": value})


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class AcronymFilter(django_filters.ModelMultipleChoiceFilter):
    """Organisations by acronym (repeat the parameter for several)."""


class RecordFilterSet(django_filters.FilterSet):
    """The record type's fields (date, région path) come from its registry entry
    (core.registry); a subclass's `Meta` may name others."""

    # Labels are given: a page's filter form shows them (derived ones would read "[invalid name]").
    status = django_filters.MultipleChoiceFilter(
        choices=RecordStatus.choices, label=_("Status"), help_text=_("Workflow status.")
    )
    organisation = AcronymFilter(
        field_name="organisation__acronym",
        queryset=Organisation.objects.all(),
        to_field_name="acronym",
        label=_("Organisation"),
        help_text=_("Acronym of the organisation."),
    )
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Changed since"),
        help_text=_("Records changed at or after this time (for sync)."),
    )
    admin_area = django_filters.CharFilter(
        method="filter_admin_area",
        label=_("Administrative area"),
        help_text=_("P-code of an administrative area; its sub-areas are included."),
    )
    date_after = django_filters.DateFilter(
        method="filter_date_after", label=_("From"), help_text=_("On or after this date.")
    )
    date_before = django_filters.DateFilter(
        method="filter_date_before", label=_("To"), help_text=_("On or before this date.")
    )
    external_id = django_filters.CharFilter(
        label=_("External identifier"), help_text=_("The reporting organisation's own identifier.")
    )

    class Meta:
        fields = ()

    def filter_admin_area(self, qs, name, value):
        return qs.filter(**{f"{self._meta_option('region_path')}__in": admin_area_ids(value)})

    def filter_date_after(self, qs, name, value):
        """Records whose period reaches the date: a record known by its year 2003 is on or after
        2003-06-01 (core.dates). Its stored date is at most a year earlier: that bound keeps the index."""
        return period_reaches(qs, value, self._meta_option("date_field"), self._precision_field())

    def _precision_field(self) -> str | None:
        from core import registry

        return getattr(registry.get(self.Meta.model), "date_precision_field", None)

    def filter_date_before(self, qs, name, value):
        return qs.filter(**{f"{self._meta_option('date_field')}__lte": value})

    def _meta_option(self, name: str) -> str:
        # The record type's registry entry tells its fields, unless the filter set says otherwise.
        if hasattr(self.Meta, name):
            return getattr(self.Meta, name)
        from core import registry

        return getattr(registry.get(self.Meta.model), name)


def period_reaches(qs, value, date_field: str, precision_field: str | None):
    """Records whose period reaches the date `value`: a record known by its year 2003 is on or
    after 2003-06-01 (core.dates). Its stored date is at most a year earlier: that bound keeps the
    index."""
    if precision_field is None:
        return qs.filter(**{f"{date_field}__gte": value})
    from core.dates import PeriodEnd

    # Within a year of 0001-01-01 there is no year before: the bound stops at the first day there is.
    year = datetime.timedelta(days=366)
    earliest = value - year if value > datetime.date.min + year else datetime.date.min
    return (
        qs.filter(**{f"{date_field}__gte": earliest})
        .alias(period_end=PeriodEnd(date_field, precision_field))
        .filter(period_end__gte=value)
    )


def category_filter(choices, field_name: str) -> django_filters.MultipleChoiceFilter:
    return django_filters.MultipleChoiceFilter(
        field_name=field_name, choices=choices, label=_("Category"), help_text=_("Category.")
    )


def bbox_filter(field_name: str) -> BBoxFilter:
    return BBoxFilter(
        field_name=field_name, help_text=_("west,south,east,north in WGS84 degrees: records intersecting the box.")
    )
