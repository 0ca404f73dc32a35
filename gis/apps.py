from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GisConfig(AppConfig):
    name = "gis"
    # django.contrib.gis holds the label "gis".
    label = "geodata"
    verbose_name = _("Maps")
