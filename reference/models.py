"""Reference data: places, organisations and the explosive ordnance catalogue.

Edited by few people, to avoid duplicates (DOMAIN.md, "The people").
"""

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TrackedModel


class AdministrativeArea(TrackedModel):
    """An administrative area in a level hierarchy, joined on P-codes, never on spellings.

    Boundaries change (Mali's 2023 reform added régions), so each version of an area has a
    validity period; the current version has no `valid_to`.
    """

    class Level(models.IntegerChoices):
        COUNTRY = 0, _("Country")
        ADMIN1 = 1, _("Region (admin level 1)")
        ADMIN2 = 2, _("Cercle (admin level 2)")
        ADMIN3 = 3, _("Commune (admin level 3)")

    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    pcode = models.CharField(_("P-code"), max_length=20, db_index=True)
    iso_code = models.CharField(_("ISO 3166 code"), max_length=10, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent area"),
    )
    geometry = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        ordering = ["level", "name_fr"]
        constraints = [
            models.UniqueConstraint(fields=["pcode", "valid_from"], name="adminarea_unique_pcode_version"),
            models.UniqueConstraint(
                fields=["pcode"], condition=Q(valid_to__isnull=True), name="adminarea_one_current_version"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="adminarea_valid_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_fr} ({self.pcode})"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class Locality(TrackedModel):
    """A village, town or city: a point inside its administrative area."""

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        TOWN = "town", _("Town")
        VILLAGE = "village", _("Village")
        CAMP = "camp", _("Camp or settlement")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120, db_index=True)
    pcode = models.CharField(_("P-code"), max_length=30, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VILLAGE)
    location = models.PointField(_("location"), srid=4326)
    admin_area = models.ForeignKey(
        AdministrativeArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="localities",
        verbose_name=_("administrative area"),
        editable=False,
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("locality")
        verbose_name_plural = _("localities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(TrackedModel):
    """An organisation that reports, operates or coordinates: authority, operator, agency."""

    class Kind(models.TextChoices):
        NATIONAL_AUTHORITY = "national_authority", _("National authority")
        MILITARY_EOD = "military_eod", _("Military EOD")
        NGO = "ngo", _("Non-governmental organisation")
        COMMERCIAL = "commercial", _("Commercial operator")
        UN_AGENCY = "un_agency", _("UN agency")
        GOVERNMENT = "government", _("Other government body")
        HEALTH_PROVIDER = "health_provider", _("Health or rehabilitation provider")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    accredited_from = models.DateField(_("accredited from"), null=True, blank=True)
    accredited_to = models.DateField(_("accredited until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["acronym"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accredited_to__isnull=True)
                | Q(accredited_from__isnull=True)
                | Q(accredited_to__gte=models.F("accredited_from")),
                name="organisation_accreditation_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.acronym


class OrdnanceCategory(models.TextChoices):
    """Explosive ordnance categories (DOMAIN.md, IMAS 04.10).

    Improvised AP mines are kept apart from other IEDs: they fall under the APMBC.
    """

    AP_MINE = "ap_mine", _("Anti-personnel mine")
    AV_MINE = "av_mine", _("Anti-vehicle mine")
    IMPROVISED_AP_MINE = "improvised_ap_mine", _("Improvised anti-personnel mine")
    IMPROVISED_AV_MINE = "improvised_av_mine", _("Improvised anti-vehicle mine")
    OTHER_IED = "other_ied", _("Other IED (command-operated, remote)")
    UNSPECIFIED_MINE = "unspecified_mine", _("Unspecified mine")
    CLUSTER_MUNITION_REMNANT = "cluster_munition_remnant", _("Cluster munition remnant")
    UXO = "uxo", _("Unexploded ordnance (UXO)")
    AXO = "axo", _("Abandoned explosive ordnance (AXO)")
    BOOBY_TRAP = "booby_trap", _("Booby-trap")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Activation(models.TextChoices):
    VICTIM = "victim", _("Victim-activated")
    COMMAND = "command", _("Command-operated")
    TIME = "time", _("Time-delayed")
    UNKNOWN = "unknown", _("Unknown")


class OrdnanceType(TrackedModel):
    """An entry of the explosive ordnance catalogue, e.g. PMN-2 or TM-57."""

    model = models.CharField(_("model"), max_length=80, unique=True)
    category = models.CharField(_("category"), max_length=30, choices=OrdnanceCategory.choices, db_index=True)
    improvised = models.BooleanField(_("improvised"), default=False)
    activation = models.CharField(
        _("activation"), max_length=10, choices=Activation.choices, default=Activation.UNKNOWN
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("explosive ordnance type")
        verbose_name_plural = _("explosive ordnance types")
        ordering = ["category", "model"]

    def __str__(self) -> str:
        return self.model
