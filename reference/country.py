"""The country this installation serves, as configuration: the setting `COUNTRY_ISO` and the
data folder `COUNTRY_DATA_DIR`, whose `manifest.json` names the administrative levels, the
national authority, the default language of place names and the map extent.

Read once and cached (per ISO code and folder, so a test that changes the settings reads its
own folder). Nothing here touches the database: the models import it for their choices.
"""

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Place names fall back to these after the requested and the country's default language.
FALLBACK_LANGUAGES = ("fr", "en")


def language_code(language: str | None) -> str:
    """`fr-ca`, `fr_FR` and `FR` are all French: names are kept by primary language subtag."""
    return (language or "").replace("_", "-").split("-")[0].strip().lower()


@dataclass(frozen=True)
class Extent:
    """A longitude/latitude box in WGS84 degrees."""

    west: float
    south: float
    east: float
    north: float

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.west + self.east) / 2, (self.south + self.north) / 2)

    def zoom(self, *, width_px: int = 600, height_px: int = 400) -> int:
        """The web-map zoom level (256-pixel tiles) at which the box fits a map of this size."""
        # At zoom z the world is 256 * 2**z pixels wide; latitude is stretched by 1/cos in Mercator.
        stretch = 1 / max(math.cos(math.radians(self.centre[1])), 0.1)
        fit_x = 360 * width_px / 256 / max(self.east - self.west, 1e-6)
        fit_y = 360 * height_px / 256 / max((self.north - self.south) * stretch, 1e-6)
        return max(1, min(int(math.log2(min(fit_x, fit_y))), 18))


@dataclass(frozen=True)
class CountryConfig:
    """What `manifest.json` says about the country (see README, "Set up another country")."""

    iso: str
    data_dir: Path
    pcode: str
    # Language code -> the country's name in it.
    names: Mapping[str, str]
    # Language of place names when the reader's language has none (e.g. "fr" for Mali).
    default_language: str
    # Level (1, 2, 3...) -> language code -> the level's name ("Région", "Cercle"...).
    admin_levels: Mapping[int, Mapping[str, str]]
    # Acronym of the national mine action authority among the manifest's organisations.
    national_authority: str | None
    # From the manifest; None: derive it from the country boundary (reference.selectors.country_extent).
    extent: Extent | None
    # True where the shipped demonstration data generator fits this country (Mali only).
    demo_data: bool
    manifest: Mapping[str, Any]

    @property
    def levels(self) -> tuple[int, ...]:
        """The administrative levels below the country, e.g. (1, 2, 3)."""
        return tuple(sorted(self.admin_levels)) or (1, 2, 3)

    def languages(self, language: str | None = None) -> tuple[str, ...]:
        """Where to look for a name: the requested (or active) language, the country's
        default language, then French and English."""
        order = (language_code(language or get_language()), self.default_language, *FALLBACK_LANGUAGES)
        return tuple(dict.fromkeys(code for code in order if code))

    def level_name(self, level: int, language: str | None = None) -> str:
        """The name of an administrative level in the language asked for (or the active one)."""
        if level == 0:
            return _("Country")
        names = self.admin_levels.get(level, {})
        for code in self.languages(language):
            if names.get(code):
                return names[code]
        return _("Administrative level %(level)s") % {"level": level}

    def name(self, language: str | None = None) -> str:
        return pick_name(self.names, language, default=self.iso, default_language=self.default_language)


def pick_name(
    names: Mapping[str, str], language: str | None, *, default: str, default_language: str | None = None
) -> str:
    """The name in the requested (or active) language, else in the default language, French,
    English, any other language (alphabetically), else `default` (a P-code)."""
    fallback = default_language if default_language is not None else _default_language()
    order = (language_code(language or get_language()), fallback, *FALLBACK_LANGUAGES, *sorted(names))
    for code in dict.fromkeys(order):
        if code and names.get(code):
            return names[code]
    return default


def _fail(folder: Path, message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{folder / 'manifest.json'}: {message} (see COUNTRY_DATA_DIR in .env.example)")


def _names(folder: Path, where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise _fail(folder, f'"{where}" must map language codes to non-empty names, e.g. {{"fr": "Région"}}')
    return {language_code(k): v.strip() for k, v in value.items()}


def manifest_read(folder: Path) -> CountryConfig:
    """Reads and checks a country folder's manifest; raises ImproperlyConfigured naming the
    file and the key at fault."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(folder, f"cannot be read ({exc.strerror})") from exc
    except ValueError as exc:
        raise _fail(folder, f"is not JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise _fail(folder, "must hold a JSON object")
    iso = str(manifest.get("iso", "")).strip().upper()
    if len(iso) != 2 or not iso.isalpha() or not iso.isascii():
        raise _fail(folder, '"iso" must be the ISO 3166-1 alpha-2 code of the country, e.g. "ML"')
    info = manifest.get("country") or {}
    if not isinstance(info, Mapping):
        raise _fail(folder, '"country" must be an object with "pcode" and "name_<language>" keys')
    names = {language_code(k[5:]): str(v).strip() for k, v in info.items() if k.startswith("name_") and v}
    default_language = language_code(manifest.get("default_language") or settings.LANGUAGE_CODE)
    if not (2 <= len(default_language) <= 3 and default_language.isalpha()):
        raise _fail(folder, '"default_language" must be a language code such as "fr", "es" or "ar"')
    levels: dict[int, Mapping[str, str]] = {}
    for key, value in (manifest.get("admin_levels") or {}).items():
        if not str(key).isdigit() or int(key) < 1:
            raise _fail(folder, f'"admin_levels" keys are levels 1, 2, 3..., not {key!r}')
        levels[int(key)] = MappingProxyType(_names(folder, f"admin_levels.{key}", value))
    authority = manifest.get("national_authority") or None
    organisations = {row.get("acronym"): row for row in manifest.get("organisations", []) if isinstance(row, dict)}
    if authority is not None and organisations:
        if authority not in organisations:
            raise _fail(folder, f'"national_authority" {authority!r} is not among the "organisations"')
        if organisations[authority].get("kind") != "national_authority":
            raise _fail(folder, f'organisation {authority!r} must have "kind": "national_authority"')
    extent = None
    if manifest.get("extent") is not None:
        box = manifest["extent"]
        try:
            extent = Extent(*(float(v) for v in box))
        except (TypeError, ValueError):
            raise _fail(folder, '"extent" must be [west, south, east, north] in degrees') from None
        if not (-180 <= extent.west < extent.east <= 180 and -90 <= extent.south < extent.north <= 90):
            raise _fail(folder, '"extent" must be [west, south, east, north] with west < east and south < north')
    return CountryConfig(
        iso=iso,
        data_dir=folder,
        pcode=str(info.get("pcode") or iso),
        names=MappingProxyType(names),
        default_language=default_language,
        admin_levels=MappingProxyType(levels),
        national_authority=authority,
        extent=extent,
        demo_data=manifest.get("demo_data") is True,
        manifest=MappingProxyType(manifest),
    )


@functools.cache
def _country(iso: str, folder: str) -> CountryConfig:
    config = manifest_read(Path(folder))
    if config.iso != iso:
        raise ImproperlyConfigured(
            f"COUNTRY_ISO is {iso} but {Path(folder) / 'manifest.json'} describes {config.iso}: "
            "set COUNTRY_DATA_DIR to the folder of the country served"
        )
    return config


def country() -> CountryConfig:
    """The configured country (settings COUNTRY_ISO and COUNTRY_DATA_DIR), read once."""
    return _country(settings.COUNTRY_ISO, str(settings.COUNTRY_DATA_DIR))


def _configured() -> CountryConfig | None:
    # Names and choices are shown everywhere (admin, API, logs): a broken configuration is
    # reported by the system check `reference.E001`, not by every page that shows a place.
    try:
        return country()
    except ImproperlyConfigured:
        return None


def _default_language() -> str:
    config = _configured()
    return config.default_language if config is not None else language_code(settings.LANGUAGE_CODE)


def country_reset() -> None:
    """Forget what was read: the next call reads the manifest again (after editing it)."""
    _country.cache_clear()


def level_name(level: int, language: str | None = None) -> str:
    """The configured name of an administrative level, e.g. level_name(2, "fr") == "Cercle" in Mali."""
    return country().level_name(level, language)


def admin_level_choices() -> list[tuple[int, str]]:
    """Choices of `AdministrativeArea.level`, named by the manifest in the active language."""
    config = _configured()
    if config is None:
        return [(0, _("Country")), *((n, _("Administrative level %(level)s") % {"level": n}) for n in (1, 2, 3))]
    return [(0, config.level_name(0)), *((level, config.level_name(level)) for level in config.levels)]
