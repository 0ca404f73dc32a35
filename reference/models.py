"""Reference data: places, organisations and the explosive ordnance catalogue.

Edited by few people, to avoid duplicates (DOMAIN.md, "The people").
"""

from collections.abc import Mapping

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TrackedModel
from reference.country import admin_level_choices, language_code, pick_name

# Languages with their own name column; `names` holds every other language.
NAME_COLUMNS = ("fr", "en")


def _check_names(names, *, columns: tuple[str, ...] = NAME_COLUMNS) -> None:
    if not isinstance(names, Mapping):
        raise ValidationError({"names": _('Give names by language code, e.g. {"es": "Región", "ar": "..."}.')})
    for code, name in names.items():
        if language_code(code) != code or not (2 <= len(code) <= 3) or not code.isalpha():
            raise ValidationError(
                {"names": _("%(code)r is not a language code such as es, pt or ar.") % {"code": code}}
            )
        if code in columns:
            raise ValidationError({"names": _("The %(code)s name has its own field.") % {"code": code}})
        if not isinstance(name, str) or not name.strip():
            raise ValidationError({"names": _("The %(code)s name is empty.") % {"code": code}})


class AdministrativeArea(TrackedModel):
    """An administrative area in a level hierarchy, joined on P-codes, never on spellings.

    Boundaries change (Mali's 2023 reform added régions), so each version of an area has a
    validity period; the current version has no `valid_to`.
    """

    class Level(models.IntegerChoices):
        """Level numbers for code; their names (Région, Cercle...) come from the country's
        manifest (`reference.country.level_name`)."""

        COUNTRY = 0, _("Country")
        ADMIN1 = 1, _("Administrative level 1")
        ADMIN2 = 2, _("Administrative level 2")
        ADMIN3 = 3, _("Administrative level 3")

    # Named by the country's manifest, in the reader's language.
    level = models.PositiveSmallIntegerField(_("level"), choices=admin_level_choices, db_index=True)
    pcode = models.CharField(_("P-code"), max_length=20, db_index=True)
    iso_code = models.CharField(_("ISO 3166 code"), max_length=10, blank=True)
    # Blank where the country's names are in other languages (see `names`).
    name_fr = models.CharField(_("name (French)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    names = models.JSONField(
        _("names in other languages"),
        default=dict,
        blank=True,
        help_text=_(
            'By language code, e.g. {"es": "...", "pt": "...", "ar": "..."}; French and English have their own fields.'
        ),
    )
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
        return f"{self.name} ({self.pcode})"

    def clean(self) -> None:
        super().clean()
        _check_names(self.names)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def all_names(self) -> dict[str, str]:
        """Every name by language code, French and English included."""
        columns = {"fr": self.name_fr, "en": self.name_en}
        return {code: name for code, name in {**columns, **(self.names or {})}.items() if name}

    def name_in(self, language: str | None = None) -> str:
        return area_name(self, language)

    @property
    def name(self) -> str:
        """The name in the active language, falling back as `area_name` does."""
        return area_name(self)


def area_name(area: AdministrativeArea, language: str | None = None) -> str:
    """The area's name in `language` (default: the active language), else in the country's
    default language, French, English, any other language, else its P-code."""
    return pick_name(area.all_names, language, default=area.pcode)


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


def reported_category_field(verbose_name) -> models.CharField:
    """Where the reporter's category is kept when the Mali rule counts another one
    (reference.ordnance.classify_device); empty when it is counted as reported."""
    return models.CharField(
        verbose_name,
        max_length=30,
        choices=OrdnanceCategory.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text=_("Empty when the category is counted as reported."),
    )


class Activation(models.TextChoices):
    VICTIM = "victim", _("Victim-activated")
    COMMAND = "command", _("Command-operated")
    TIME = "time", _("Time-delayed")
    UNKNOWN = "unknown", _("Unknown")


class OrdnanceType(TrackedModel):
    """An entry of the explosive ordnance catalogue, e.g. PMN-2 or TM-57."""

    model = models.CharField(_("model"), max_length=80, unique=True)
    names = models.JSONField(
        _("names"),
        default=dict,
        blank=True,
        help_text=_(
            'Display names by language code, e.g. {"fr": "Mine antipersonnel improvisée"}; the model otherwise.'
        ),
    )
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

    def clean(self) -> None:
        super().clean()
        _check_names(self.names, columns=())

    @property
    def name(self) -> str:
        return ordnance_name(self)


def ordnance_name(ordnance: OrdnanceType, language: str | None = None) -> str:
    """The catalogue entry's name in `language` (default: the active one), falling back like
    `area_name`. The catalogue is written in English: the model designation (PMN-2,
    "Improvised pressure-plate AV mine") is the English name unless `names` gives one."""
    return pick_name({"en": ordnance.model, **(ordnance.names or {})}, language, default=ordnance.model)
