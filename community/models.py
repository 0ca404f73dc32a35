"""Community liaison: reports of suspected items or areas from communities."""

import pghistory
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from core.history import history_trackers
from core.models import ReportedRecord, date_precision_field
from reference.models import OrdnanceCategory, reported_category_field


@pghistory.track(*history_trackers())
class CommunityReport(ReportedRecord):
    """A community's report of a suspected item or area, which an officer turns into an
    EOD spot task or a hazardous area (`community.services`)."""

    class Subject(models.TextChoices):
        ITEM = "item", _("Suspected item")
        AREA = "area", _("Suspected area")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        SPOT_TASK = "spot_task", _("EOD spot task created")
        HAZARD_AREA = "hazard_area", _("Hazardous area created")
        NO_ACTION = "no_action", _("No action needed")

    reference = models.CharField(_("reference code"), max_length=40, unique=True)
    report_date = models.DateField(_("report date"))
    date_precision = date_precision_field()
    subject = models.CharField(_("subject"), max_length=5, choices=Subject.choices)
    location = models.PointField(_("location"), srid=4326)
    suspected_area = models.MultiPolygonField(_("suspected area"), srid=4326, null=True, blank=True)
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
        related_name="community_reports",
        verbose_name=_("administrative area"),
        editable=False,
    )
    item_category = models.CharField(
        _("suspected item category"), max_length=30, choices=OrdnanceCategory.choices, blank=True
    )
    item_category_reported = reported_category_field(_("suspected item category as reported"))
    item_person_sensitive = models.BooleanField(
        _("item sensitive to a person"),
        null=True,
        blank=True,
        help_text=_(
            "The item can be set off by the presence, proximity or contact of a person: an improvised "
            "anti-vehicle mine is then counted as an improvised anti-personnel mine (Mali rule)."
        ),
    )
    item_count = models.PositiveIntegerField(_("number of items"), default=0)
    reporter_name = models.CharField(_("reported by"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    hazard_area = models.ForeignKey(
        "hazards.HazardArea",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="community_reports",
        verbose_name=_("resulting hazardous area"),
        editable=False,
    )
    spot_task = models.ForeignKey(
        "hazards.LandReleaseActivity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="community_reports",
        verbose_name=_("resulting spot task"),
        editable=False,
    )

    class Meta(ReportedRecord.Meta):
        verbose_name = _("community report")
        verbose_name_plural = _("community reports")
        ordering = ["-report_date", "reference"]
        indexes = [
            models.Index(fields=["report_date"], name="community_report_date_idx"),
            models.Index(fields=["organisation", "status"], name="community_org_status_idx"),
        ]

    def __str__(self) -> str:
        return self.reference
