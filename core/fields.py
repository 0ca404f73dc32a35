from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Func


class GeographyArea(Func):
    """ST_Area on the geography: square metres on the spheroid, whatever the latitude."""

    function = "ST_Area"
    template = "%(function)s((%(expressions)s)::geography)"
    output_field = models.FloatField()


class ChoiceArrayField(ArrayField):
    """An array of choices that the admin edits as a multiple-choice list."""

    def formfield(self, **kwargs):
        from django import forms

        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.base_field.choices,
            "coerce": self.base_field.to_python,
            "widget": forms.CheckboxSelectMultiple,
        }
        defaults.update(kwargs)
        # ArrayField.formfield would force its own SimpleArrayField form class.
        return super(ArrayField, self).formfield(**defaults)
