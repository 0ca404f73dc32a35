from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Export(models.Model):
    """A file of the rows a list shows its owner, written by a worker and downloaded once done."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        GEOJSON = "geojson", "GeoJSON"
        GPKG = "gpkg", "GeoPackage"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports", verbose_name=_("owner")
    )
    resource = models.CharField(_("resource"), max_length=40)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # The owner's language when asking: the error message is written in it.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    # Relative to settings.EXPORT_ROOT; empty until the complete file is published.
    file_path = models.CharField(_("file"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.resource}.{self.format} #{self.pk}"


class ClearanceCapacity(models.Model):
    """The capacity an Article 5 work plan assumes from a year on (APMBC Art. 5 extension requests:
    a yearly work plan with its capacity): teams, and the area one team releases in a year. The
    row with the latest `start_year` not after a plan year applies to that year."""

    start_year = models.PositiveSmallIntegerField(_("from the year"), unique=True)
    teams = models.PositiveSmallIntegerField(_("teams"))
    m2_per_team_per_year = models.PositiveIntegerField(_("m² released per team and year"))
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        verbose_name = _("clearance capacity")
        verbose_name_plural = _("clearance capacities")
        ordering = ("start_year",)

    def __str__(self) -> str:
        return f"{self.start_year}: {self.teams} × {self.m2_per_team_per_year} m²"
