"""Hazardous areas and land release (IMAS 07.11, 08.10, 08.20, 09.10).

Every area is stored in square metres, one unit only; pages display ha or km² as needed.
"""

import pghistory
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import ChoiceArrayField, GeographyArea
from core.history import history_trackers
from core.models import ReportedRecord, TrackedModel, date_precision_field
from reference.models import OrdnanceCategory, reported_category_field


class LandClass(models.TextChoices):
    SHA = "sha", _("Suspected hazardous area (SHA)")
    CHA = "cha", _("Confirmed hazardous area (CHA)")
    INDICATION = "indication", _("Indication")
    AMMUNITION_STORAGE = "ammunition_storage", _("Ammunition storage area")
    EOD_SPOT_TASK = "eod_spot_task", _("EOD spot task")


class ContaminationType(models.TextChoices):
    AP_MINES = "ap_mines", _("Anti-personnel mines")
    AV_MINES = "av_mines", _("Anti-vehicle mines")
    IMPROVISED_AP_MINES = "improvised_ap_mines", _("Improvised anti-personnel mines")
    # Counted as improvised AP mines when person-sensitive (Mali rule, reference.ordnance).
    IMPROVISED_AV_MINES = "improvised_av_mines", _("Improvised anti-vehicle mines")
    OTHER_IEDS = "other_ieds", _("Other IEDs")
    CLUSTER_MUNITIONS = "cluster_munitions", _("Cluster munition remnants")
    UXO = "uxo", _("Unexploded ordnance")
    AXO = "axo", _("Abandoned explosive ordnance")


class LandUse(models.TextChoices):
    AGRICULTURE = "agriculture", _("Agriculture")
    GRAZING = "grazing", _("Grazing")
    HOUSING = "housing", _("Housing")
    ROAD = "road", _("Road or track")
    WATER = "water", _("Water access")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    FOREST = "forest", _("Forest and firewood")
    OTHER = "other", _("Other")


@pghistory.track(*history_trackers(), exclude=["area_m2"])
class HazardArea(ReportedRecord):
    """A suspected or confirmed hazardous area, with what land release has done to it.

    `area_m2` is computed by PostGIS on the geography, never typed. The released and
    remaining areas follow from the approved land release activities
    (`hazards.services.hazard_area_recompute`).
    """

    class Evidence(models.TextChoices):
        DIRECT = "direct", _("Direct evidence")
        INDIRECT = "indirect", _("Indirect evidence")

    class HazardStatus(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        HANDED_OVER = "handed_over", _("Handed over")

    class Priority(models.IntegerChoices):
        HIGH = 1, _("High")
        MEDIUM = 2, _("Medium")
        LOW = 3, _("Low")

    reference = models.CharField(_("reference code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    land_class = models.CharField(_("land class"), max_length=20, choices=LandClass.choices, db_index=True)
    geometry = models.MultiPolygonField(_("polygon"), srid=4326)
    area_m2 = models.GeneratedField(
        expression=GeographyArea("geometry"),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name=_("area (m²)"),
    )
    contamination_types = ChoiceArrayField(
        models.CharField(max_length=30, choices=ContaminationType.choices),
        default=list,
        blank=True,
        verbose_name=_("contamination types"),
    )
    # Mali rule (reference.ordnance.classify_contamination): the reporter's types, kept where
    # the counted ones differ.
    contamination_types_reported = ChoiceArrayField(
        models.CharField(max_length=30, choices=ContaminationType.choices),
        default=list,
        db_default=[],
        blank=True,
        editable=False,
        verbose_name=_("contamination types as reported"),
        help_text=_("Empty when the contamination types are counted as reported."),
    )
    improvised_av_person_sensitive = models.BooleanField(
        _("improvised AV mines sensitive to a person"),
        null=True,
        blank=True,
        help_text=_(
            "The improvised anti-vehicle mines of this area are sensitive enough to be set off by a person: "
            "they are counted as improvised anti-personnel mines (Mali rule). An anti-handling device alone "
            "does not make them so (APMBC Art. 2.1)."
        ),
    )
    evidence = models.CharField(_("evidence"), max_length=10, choices=Evidence.choices)
    evidence_description = models.TextField(_("evidence description"), blank=True)
    hazard_status = models.CharField(
        _("hazard status"),
        max_length=12,
        choices=HazardStatus.choices,
        default=HazardStatus.OPEN,
        db_index=True,
    )
    hazard_status_date = models.DateField(_("hazard status date"))
    hazard_status_reason = models.CharField(_("hazard status reason"), max_length=300, blank=True)
    blocked_land_use = ChoiceArrayField(
        models.CharField(max_length=20, choices=LandUse.choices),
        default=list,
        blank=True,
        verbose_name=_("blocked land use"),
    )
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), default=0)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.MEDIUM)
    survey_date = models.DateField(_("survey date"))
    date_precision = date_precision_field()
    admin_area = models.ForeignKey(
        "reference.AdministrativeArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hazard_areas",
        verbose_name=_("administrative area"),
        editable=False,
    )
    area_cancelled_m2 = models.FloatField(_("area cancelled (m²)"), default=0, editable=False)
    area_reduced_m2 = models.FloatField(_("area reduced (m²)"), default=0, editable=False)
    area_cleared_m2 = models.FloatField(_("area cleared (m²)"), default=0, editable=False)
    remaining_area_m2 = models.FloatField(_("remaining area (m²)"), null=True, editable=False, db_index=True)

    class Meta(ReportedRecord.Meta):
        verbose_name = _("hazardous area")
        verbose_name_plural = _("hazardous areas")
        ordering = ["-survey_date", "reference"]
        indexes = [
            GinIndex(fields=["contamination_types"], name="hazard_contamination_gin"),
            models.Index(fields=["survey_date"], name="hazard_survey_date_idx"),
            models.Index(fields=["area_m2"], name="hazard_area_m2_idx"),
            models.Index(fields=["organisation", "status"], name="hazard_org_status_idx"),
            models.Index(fields=["admin_area", "status"], name="hazard_area_status_idx"),
        ]
        constraints = [
            *ReportedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=Q(area_cancelled_m2__gte=0) & Q(area_reduced_m2__gte=0) & Q(area_cleared_m2__gte=0),
                name="hazard_released_areas_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def released_area_m2(self) -> float:
        return self.area_cancelled_m2 + self.area_reduced_m2 + self.area_cleared_m2


@pghistory.track(*history_trackers())
class LandReleaseActivity(ReportedRecord):
    """A survey, clearance, spot task, marking, inspection or handover, and what it released."""

    class Kind(models.TextChoices):
        NTS = "nts", _("Non-technical survey (NTS)")
        TS = "ts", _("Technical survey (TS)")
        CLEARANCE = "clearance", _("Clearance")
        EOD_SPOT_TASK = "eod_spot_task", _("EOD spot task")
        MARKING = "marking", _("Marking")
        POST_CLEARANCE = "post_clearance", _("Post-clearance inspection")
        HANDOVER = "handover", _("Handover")

    class ReportType(models.TextChoices):
        PROGRESS = "progress", _("Progress report")
        COMPLETION = "completion", _("Completion report")
        CANCELLATION = "cancellation", _("Cancellation report")

    reference = models.CharField(_("reference code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    report_type = models.CharField(
        _("report type"), max_length=20, choices=ReportType.choices, default=ReportType.PROGRESS
    )
    hazard_area = models.ForeignKey(
        HazardArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("hazardous area"),
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    admin_area = models.ForeignKey(
        "reference.AdministrativeArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="land_release_activities",
        verbose_name=_("administrative area"),
        editable=False,
    )
    start_date = models.DateField(_("start date"))
    date_precision = date_precision_field()
    end_date = models.DateField(_("end date"), null=True, blank=True)
    area_cancelled_m2 = models.FloatField(_("area cancelled (m²)"), default=0)
    area_reduced_m2 = models.FloatField(_("area reduced (m²)"), default=0)
    area_cleared_m2 = models.FloatField(_("area cleared (m²)"), default=0)
    cancelled_geometry = models.MultiPolygonField(_("cancelled polygon"), srid=4326, null=True, blank=True)
    reduced_geometry = models.MultiPolygonField(_("reduced polygon"), srid=4326, null=True, blank=True)
    cleared_geometry = models.MultiPolygonField(_("cleared polygon"), srid=4326, null=True, blank=True)
    clearance_depth_cm = models.PositiveIntegerField(_("clearance depth (cm)"), null=True, blank=True)
    handover_men = models.PositiveIntegerField(_("men at handover"), default=0)
    handover_women = models.PositiveIntegerField(_("women at handover"), default=0)
    handover_boys = models.PositiveIntegerField(_("boys at handover"), default=0)
    handover_girls = models.PositiveIntegerField(_("girls at handover"), default=0)
    notes = models.TextField(_("notes"), blank=True)

    class Meta(ReportedRecord.Meta):
        verbose_name = _("land release activity")
        verbose_name_plural = _("land release activities")
        ordering = ["-start_date", "reference"]
        indexes = [
            models.Index(fields=["start_date"], name="activity_start_date_idx"),
            models.Index(fields=["end_date"], name="activity_end_date_idx"),
            models.Index(fields=["organisation", "status"], name="activity_org_status_idx"),
            models.Index(fields=["hazard_area", "status"], name="activity_hazard_status_idx"),
        ]
        constraints = [
            *ReportedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=Q(area_cancelled_m2__gte=0) & Q(area_reduced_m2__gte=0) & Q(area_cleared_m2__gte=0),
                name="activity_areas_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="activity_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def released_area_m2(self) -> float:
        return self.area_cancelled_m2 + self.area_reduced_m2 + self.area_cleared_m2


@pghistory.track(*history_trackers())
class ItemFound(TrackedModel):
    """An explosive ordnance item found during an activity (counted for Article 7 Form G)."""

    class Condition(models.TextChoices):
        ARMED = "armed", _("Armed or fuzed")
        UNARMED = "unarmed", _("Unarmed")
        DAMAGED = "damaged", _("Damaged")
        UNKNOWN = "unknown", _("Unknown")

    activity = models.ForeignKey(
        LandReleaseActivity, on_delete=models.CASCADE, related_name="items_found", verbose_name=_("activity")
    )
    category = models.CharField(_("category"), max_length=30, choices=OrdnanceCategory.choices, db_index=True)
    category_reported = reported_category_field(_("category as reported"))
    person_sensitive = models.BooleanField(
        _("sensitive to a person"),
        null=True,
        blank=True,
        help_text=_(
            "The main charge can be set off by the presence, proximity or contact of a person: an improvised "
            "anti-vehicle mine is then counted as an improvised anti-personnel mine (Mali rule). An "
            "anti-handling device alone does not make it so (APMBC Art. 2.1)."
        ),
    )
    ordnance_type = models.ForeignKey(
        "reference.OrdnanceType", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("model")
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    condition = models.CharField(_("condition"), max_length=10, choices=Condition.choices, default=Condition.UNKNOWN)
    depth_cm = models.PositiveIntegerField(_("depth (cm)"), null=True, blank=True)
    destroyed = models.BooleanField(_("destroyed"), default=False)

    class Meta:
        verbose_name = _("item found")
        verbose_name_plural = _("items found")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="item_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.get_category_display()}"


@pghistory.track(*history_trackers())
class QualityInspection(TrackedModel):
    """A quality assurance or quality control inspection of an activity (IMAS 07.40)."""

    class Kind(models.TextChoices):
        QA = "qa", _("Quality assurance (during work)")
        QC = "qc", _("Quality control (after work)")

    class Result(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    activity = models.ForeignKey(
        LandReleaseActivity, on_delete=models.CASCADE, related_name="inspections", verbose_name=_("activity")
    )
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    inspection_date = models.DateField(_("inspection date"))
    inspector_organisation = models.ForeignKey(
        "reference.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("inspecting organisation")
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("quality inspection")
        verbose_name_plural = _("quality inspections")
        ordering = ["-inspection_date"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.inspection_date}"


@pghistory.track(*history_trackers())
class NonConformity(TrackedModel):
    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    inspection = models.ForeignKey(
        QualityInspection, on_delete=models.CASCADE, related_name="non_conformities", verbose_name=_("inspection")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("description"))
    corrective_action = models.TextField(_("corrective action"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("non-conformity")
        verbose_name_plural = _("non-conformities")

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.description[:40]}"
