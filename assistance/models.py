"""Victim assistance (IMAS 13.10): survivors and the services they received."""

import pghistory
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.history import history_trackers
from core.models import ReportedRecord, date_precision_field


@pghistory.track(*history_trackers())
class Survivor(ReportedRecord):
    """A person injured by explosive ordnance, followed for assistance; linked to a casualty."""

    casualty = models.OneToOneField(
        "incidents.Casualty", on_delete=models.PROTECT, related_name="survivor", verbose_name=_("casualty")
    )
    needs = models.TextField(_("needs"), blank=True)
    has_disability = models.BooleanField(_("has a disability"), null=True, blank=True)

    class Meta(ReportedRecord.Meta):
        verbose_name = _("survivor")
        verbose_name_plural = _("survivors")
        indexes = [models.Index(fields=["organisation", "status"], name="survivor_org_status_idx")]

    def __str__(self) -> str:
        return _("Survivor #%(id)s") % {"id": self.pk}


@pghistory.track(*history_trackers())
class AssistanceService(ReportedRecord):
    """A service given to a survivor: medical care, rehabilitation, psychological support..."""

    class ServiceType(models.TextChoices):
        EMERGENCY_MEDICAL = "emergency_medical", _("Emergency medical care")
        CONTINUING_MEDICAL = "continuing_medical", _("Continuing medical care")
        PROSTHESIS = "prosthesis", _("Rehabilitation: prosthesis or orthosis")
        PHYSIOTHERAPY = "physiotherapy", _("Rehabilitation: physiotherapy")
        PSYCHOLOGICAL = "psychological", _("Psychological and psychosocial support")
        SOCIO_ECONOMIC = "socio_economic", _("Socio-economic inclusion")
        REFERRAL = "referral", _("Referral")

    class Outcome(models.TextChoices):
        ONGOING = "ongoing", _("Ongoing")
        COMPLETED = "completed", _("Completed")
        REFERRED = "referred", _("Referred elsewhere")
        DISCONTINUED = "discontinued", _("Discontinued")

    survivor = models.ForeignKey(
        Survivor, on_delete=models.PROTECT, related_name="services", verbose_name=_("survivor")
    )
    service_type = models.CharField(_("service"), max_length=20, choices=ServiceType.choices, db_index=True)
    provider = models.ForeignKey(
        "reference.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider"),
    )
    provider_name = models.CharField(_("provider name (if not an organisation)"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"))
    date_precision = date_precision_field()
    end_date = models.DateField(_("end date"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.ONGOING)
    notes = models.TextField(_("notes"), blank=True)

    class Meta(ReportedRecord.Meta):
        verbose_name = _("assistance service")
        verbose_name_plural = _("assistance services")
        ordering = ["-start_date"]
        indexes = [
            models.Index(fields=["start_date"], name="va_service_start_idx"),
            models.Index(fields=["organisation", "status"], name="va_service_org_status_idx"),
        ]
        constraints = [
            *ReportedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="va_service_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.get_service_type_display()
