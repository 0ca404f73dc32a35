from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Export(models.Model):
    """A file written by a worker for its owner and downloaded once done: the rows a list shows
    its owner (`resource`: the API list), or a treaty report (`resource`: the report's kind,
    `filters`: its year; reports.treaty)."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        GEOJSON = "geojson", "GeoJSON"
        GPKG = "gpkg", "GeoPackage"
        DOCX = "docx", "DOCX"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", pgettext_lazy("export status", "Failed")

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

    @property
    def m2_per_year(self) -> int:
        """The area all teams release in a year."""
        return self.teams * self.m2_per_team_per_year


# --- Summary tables ---------------------------------------------------------------------------
# Approved records counted by month, area and category (reports.summaries), rebuilt from the base
# tables by a worker. Only `reports.summaries` writes them; every column is derived.


class Summary(models.Model):
    """The groups every summary row has: the period of the records' main date and their area.

    `date_from` and `date_to` are the first and last day of the month the record's period starts
    and ends in (a record known by its year 2003 runs from 2003-01-01 to 2003-12-31), so that a
    date filter on whole months gives what the base tables give. Areas are P-codes: the record's
    own area and its ancestors at each level (core.statistics.area_pcode)."""

    year = models.SmallIntegerField(null=True)
    month = models.CharField(max_length=7, null=True)
    date_from = models.DateField(null=True)
    date_to = models.DateField(null=True)
    area = models.CharField(max_length=40, null=True)
    area_1 = models.CharField(max_length=40, null=True)
    area_2 = models.CharField(max_length=40, null=True)
    area_3 = models.CharField(max_length=40, null=True)
    count = models.IntegerField()

    class Meta:
        abstract = True
        default_permissions = ()


def _group(**kwargs):
    return models.CharField(max_length=30, null=True, **kwargs)


class CasualtySummary(Summary):
    device_category = _group()
    civilian_status = _group()
    sex = _group()
    age_group = _group()
    outcome = _group()


class IncidentSummary(Summary):
    incident_class = _group()
    device_category = _group()


class HazardAreaSummary(Summary):
    land_class = _group()
    hazard_status = _group()
    area_m2 = models.FloatField(null=True)
    remaining_area_m2 = models.FloatField(null=True)


class LandReleaseSummary(Summary):
    kind = _group()
    area_cancelled_m2 = models.FloatField(null=True)
    area_reduced_m2 = models.FloatField(null=True)
    area_cleared_m2 = models.FloatField(null=True)


class ItemSummary(Summary):
    """Items found in land release activities, by the activity's period, area and kind."""

    kind = _group()
    category = _group()
    found = models.BigIntegerField(null=True)
    destroyed = models.BigIntegerField(null=True)


class RiskEducationSummary(Summary):
    method = _group()
    target_group = _group()
    girls = models.BigIntegerField(null=True)
    boys = models.BigIntegerField(null=True)
    women = models.BigIntegerField(null=True)
    men = models.BigIntegerField(null=True)
    with_disability = models.BigIntegerField(null=True)
    beneficiaries = models.BigIntegerField(null=True)


class AssistanceSummary(Summary):
    """Services by survivor as well: survivors reached are counted distinct over any grouping."""

    service_type = _group()
    outcome = _group()
    survivor = models.BigIntegerField(null=True)


class SummaryState(models.Model):
    """How fresh a summary table is. `refreshed_at`: the figures hold every write committed before
    it; `changed_at`: the last commit that wrote records it counts."""

    name = models.CharField(_("summary"), max_length=30, primary_key=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True)
    changed_at = models.DateTimeField(_("changed at"), null=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("summary table")
        verbose_name_plural = _("summary tables")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def up_to_date(self) -> bool:
        return self.refreshed_at is not None and (self.changed_at is None or self.changed_at <= self.refreshed_at)
