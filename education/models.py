"""Explosive ordnance risk education (EORE, IMAS 12.10)."""

import pghistory
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.history import history_trackers
from core.models import ReportedRecord, date_precision_field


@pghistory.track(*history_trackers())
class RiskEducationSession(ReportedRecord):
    """A risk education session and whom it reached, disaggregated by sex and age (SADD)."""

    class Method(models.TextChoices):
        DIRECT = "direct", _("Direct / interpersonal")
        MASS_MEDIA = "mass_media", _("Mass media")
        DIGITAL = "digital", _("Digital")

    class TargetGroup(models.TextChoices):
        GENERAL = "general", _("General population")
        SCHOOL = "school", _("Schoolchildren")
        DISPLACED = "displaced", _("Internally displaced people")
        RETURNEES = "returnees", _("Returnees")
        NOMADS = "nomads", _("Nomads and herders")
        FARMERS = "farmers", _("Farmers")
        TRAVELLERS = "travellers", _("Travellers and drivers")
        HUMANITARIAN = "humanitarian", _("Humanitarian workers")
        OTHER = "other", _("Other")

    reference = models.CharField(_("reference code"), max_length=40, unique=True)
    session_date = models.DateField(_("session date"))
    date_precision = date_precision_field()
    location = models.PointField(_("location"), srid=4326)
    locality = models.ForeignKey(
        "reference.Locality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locality"),
    )
    admin_area = models.ForeignKey(
        "reference.AdministrativeArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risk_education_sessions",
        verbose_name=_("administrative area"),
        editable=False,
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    target_group = models.CharField(_("target group"), max_length=15, choices=TargetGroup.choices)
    girls = models.PositiveIntegerField(_("girls"), default=0)
    boys = models.PositiveIntegerField(_("boys"), default=0)
    women = models.PositiveIntegerField(_("women"), default=0)
    men = models.PositiveIntegerField(_("men"), default=0)
    with_disability = models.PositiveIntegerField(_("of whom with a disability"), default=0)
    notes = models.TextField(_("notes"), blank=True)

    class Meta(ReportedRecord.Meta):
        verbose_name = _("risk education session")
        verbose_name_plural = _("risk education sessions")
        ordering = ["-session_date", "reference"]
        indexes = [
            models.Index(fields=["session_date"], name="eore_date_idx"),
            models.Index(fields=["organisation", "status"], name="eore_org_status_idx"),
            models.Index(fields=["admin_area", "status"], name="eore_area_status_idx"),
        ]
        constraints = [
            *ReportedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=Q(
                    with_disability__lte=models.F("girls") + models.F("boys") + models.F("women") + models.F("men")
                ),
                name="eore_disability_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def beneficiaries(self) -> int:
        return self.girls + self.boys + self.women + self.men
