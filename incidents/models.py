"""Explosive ordnance incidents and casualties (IMAS 10.60, Landmine Monitor)."""

import pghistory
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import ChoiceArrayField
from core.history import history_trackers
from core.models import ReportedRecord, TrackedModel, date_precision_field
from reference.models import Activation, OrdnanceCategory


@pghistory.track(*history_trackers())
class Incident(ReportedRecord):
    """An accident or incident with explosive ordnance.

    `device_category` is the category the national database counts; what the reporter
    wrote is kept in `device_category_reported` (Mali rule, see
    `reference.ordnance.classify_device`).
    """

    class IncidentClass(models.TextChoices):
        MINE = "mine", _("Mine accident")
        IMPROVISED = "improvised", _("Improvised mine / IED accident")
        CLUSTER_MUNITION = "cluster_munition", _("Cluster munition accident")
        UXO_AXO = "uxo_axo", _("UXO/AXO accident")
        STORED_AMMUNITION = "stored_ammunition", _("Stored-ammunition accident")
        DEMINING = "demining", _("Demining accident")
        OTHER = "other", _("Other")

    class HowActivated(models.TextChoices):
        STEPPED_ON = "stepped_on", _("Stepped on")
        TRIPWIRE = "tripwire", _("Tripwire")
        HANDLED = "handled", _("Handled or tampered with")
        VEHICLE = "vehicle", _("Vehicle passing")
        ANIMAL = "animal", _("Animal")
        COMMAND = "command", _("Command-detonated")
        FIRE = "fire", _("Fire or heat")
        UNKNOWN = "unknown", _("Unknown")

    class ActivityAtTime(models.TextChoices):
        FARMING = "farming", _("Farming")
        HERDING = "herding", _("Herding")
        TRAVELLING = "travelling", _("Travelling")
        COLLECTING_WOOD = "collecting_wood", _("Collecting wood")
        COLLECTING_WATER = "collecting_water", _("Collecting water")
        PLAYING = "playing", _("Playing")
        TAMPERING = "tampering", _("Tampering")
        DEMINING = "demining", _("Demining")
        MILITARY = "military", _("Military activity")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Unknown")

    reference = models.CharField(_("reference code"), max_length=40, unique=True)
    incident_class = models.CharField(_("class"), max_length=20, choices=IncidentClass.choices)
    incident_date = models.DateField(_("date"))
    date_precision = date_precision_field()
    incident_time = models.TimeField(_("time"), null=True, blank=True)
    location = models.PointField(_("location"), srid=4326)
    locality = models.ForeignKey(
        "reference.Locality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("locality"),
    )
    admin_area = models.ForeignKey(
        "reference.AdministrativeArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("administrative area"),
        editable=False,
        db_index=False,  # incident_area_status_idx leads with it
    )
    device_category = models.CharField(
        _("device category"), max_length=30, choices=OrdnanceCategory.choices, editable=False
    )
    device_category_reported = models.CharField(
        _("device category as reported"), max_length=30, choices=OrdnanceCategory.choices
    )
    # Only a category taken from the model follows a new model; the reporter's own is kept.
    device_category_reported_derived = models.BooleanField(
        _("reported category derived"),
        default=False,
        db_default=False,
        editable=False,
        help_text=_(
            "The reporter gave no device category: it was taken from the device model (or is unknown), "
            "and follows a change of model."
        ),
    )
    ordnance_type = models.ForeignKey(
        "reference.OrdnanceType", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("device model")
    )
    activation = models.CharField(
        _("activation"), max_length=10, choices=Activation.choices, default=Activation.UNKNOWN
    )
    how_activated = models.CharField(
        _("how activated"), max_length=12, choices=HowActivated.choices, default=HowActivated.UNKNOWN
    )
    person_activated = models.BooleanField(
        _("set off by a person"),
        null=True,
        blank=True,
        help_text=_("The device was set off by the presence, proximity or contact of a person."),
    )
    anti_handling_device = models.BooleanField(
        _("anti-handling device fitted"),
        null=True,
        blank=True,
        help_text=_(
            "The device was fitted with an anti-handling device (APMBC Art. 2.3). An improvised anti-vehicle "
            "mine set off by handling it stays an anti-vehicle mine (APMBC Art. 2.1)."
        ),
    )
    moved_or_tampered = models.BooleanField(_("moved or tampered with"), null=True, blank=True)
    activity_at_time = models.CharField(
        _("activity at the time"), max_length=20, choices=ActivityAtTime.choices, default=ActivityAtTime.UNKNOWN
    )
    description = models.TextField(_("description"), blank=True)

    class Meta(ReportedRecord.Meta):
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-incident_date", "reference"]
        indexes = [
            models.Index(fields=["incident_date"], name="incident_date_idx"),
            models.Index(fields=["organisation", "status"], name="incident_org_status_idx"),
            models.Index(fields=["admin_area", "status"], name="incident_area_status_idx"),
            models.Index(
                fields=["id"],
                condition=~Q(device_category=models.F("device_category_reported")),
                name="incident_reclassified_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_reclassified(self) -> bool:
        return self.device_category != self.device_category_reported


@pghistory.track(*history_trackers())
class IncidentSource(TrackedModel):
    """One report of the incident: reconciling sources keeps every one with its reliability."""

    class SourceType(models.TextChoices):
        OPERATOR = "operator", _("Mine action operator")
        UN = "un", _("United Nations")
        HEALTH = "health", _("Hospital or health centre")
        MEDIA = "media", _("Media")
        COMMUNITY = "community", _("Community")
        SECURITY_FORCES = "security_forces", _("Security forces")
        AUTHORITY = "authority", _("Government authority")
        OTHER = "other", _("Other")

    class Reliability(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        PROBABLE = "probable", _("Probable")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sources", verbose_name=_("incident"))
    source_type = models.CharField(_("source type"), max_length=20, choices=SourceType.choices)
    organisation = models.ForeignKey(
        "reference.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("source name"), max_length=200, blank=True)
    reliability = models.CharField(_("reliability"), max_length=12, choices=Reliability.choices)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    source_reference = models.CharField(_("reference or link"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("incident source")
        verbose_name_plural = _("incident sources")

    def __str__(self) -> str:
        return self.name or self.get_source_type_display()


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


@pghistory.track(*history_trackers())
class Casualty(TrackedModel):
    """A person killed or injured by a device. Counts follow the incident's workflow status.

    Identity (name, date of birth, contact) lives in `CasualtyIdentity`, behind its own
    permission.
    """

    CHILD_AGE_LIMIT = 18

    class Outcome(models.TextChoices):
        KILLED = "killed", _("Killed")
        INJURED = "injured", _("Injured")

    class AgeGroup(models.TextChoices):
        CHILD = "child", _("Child (under 18)")
        ADULT = "adult", _("Adult")
        UNKNOWN = "unknown", _("Unknown")

    class CivilianStatus(models.TextChoices):
        CIVILIAN = "civilian", _("Civilian")
        MILITARY = "military", _("Military or security forces")
        DEMINER = "deminer", _("Deminer")
        UNKNOWN = "unknown", _("Unknown")

    class Injury(models.TextChoices):
        LOWER_LIMB_AMPUTATION = "lower_limb_amputation", _("Lower limb amputation")
        UPPER_LIMB_AMPUTATION = "upper_limb_amputation", _("Upper limb amputation")
        EYE = "eye", _("Eye injury or blindness")
        HEARING = "hearing", _("Hearing loss")
        BURNS = "burns", _("Burns")
        FRAGMENTATION = "fragmentation", _("Fragmentation wounds")
        INTERNAL = "internal", _("Internal injuries")
        OTHER = "other", _("Other")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="casualties", verbose_name=_("incident")
    )
    external_id = models.CharField(_("external identifier"), max_length=100, null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True, validators=[MaxValueValidator(120)])
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices, default=AgeGroup.UNKNOWN)
    civilian_status = models.CharField(
        _("civilian or military"), max_length=10, choices=CivilianStatus.choices, default=CivilianStatus.UNKNOWN
    )
    injuries = ChoiceArrayField(
        models.CharField(max_length=30, choices=Injury.choices),
        default=list,
        blank=True,
        verbose_name=_("injuries"),
    )
    injury_description = models.TextField(_("injury description"), blank=True)

    class Meta:
        verbose_name = _("casualty")
        verbose_name_plural = _("casualties")
        indexes = [GinIndex(fields=["injuries"], name="casualty_injuries_gin")]
        constraints = [
            models.CheckConstraint(condition=Q(age__isnull=True) | Q(age__lte=120), name="casualty_age_0_120"),
            models.UniqueConstraint(
                fields=["incident", "external_id"],
                condition=Q(external_id__isnull=False),
                name="casualty_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}, {self.get_sex_display()}, {self.age or '?'}"


@pghistory.track(*history_trackers(), fields=["casualty", "pseudonymised_at", "updated_at", "updated_by"])
class CasualtyIdentity(TrackedModel):
    """Personal data of a casualty: readable only with `incidents.view_casualtyidentity`.

    Never in exports, statistics or partner API responses.
    """

    casualty = models.OneToOneField(
        Casualty, on_delete=models.CASCADE, related_name="identity", verbose_name=_("casualty")
    )
    full_name = models.CharField(_("full name"), max_length=200)
    pseudonymised_at = models.DateTimeField(_("pseudonymised at"), null=True, blank=True, editable=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("casualty identity")
        verbose_name_plural = _("casualty identities")

    def __str__(self) -> str:
        return self.full_name


class IdentityAccessLog(models.Model):
    """Every read of a casualty's identity: who, when, which record, through which channel."""

    class Channel(models.TextChoices):
        API = "api", _("API")
        PAGE = "page", _("Page")

    user = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("user"))
    # The log outlives a casualty deleted from its report: no cascade, no constraint. PostgreSQL
    # refuses any change to a row but its casualty (re-pointed when duplicates merge) and any delete
    # (migration 0009).
    casualty = models.ForeignKey(
        Casualty, on_delete=models.DO_NOTHING, db_constraint=False, related_name="identity_reads"
    )
    accessed_at = models.DateTimeField(_("read at"), auto_now_add=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=4, choices=Channel.choices)
    path = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("casualty identity read")
        verbose_name_plural = _("casualty identity reads")
        ordering = ["-accessed_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.casualty_id} ({self.accessed_at:%Y-%m-%d %H:%M})"
