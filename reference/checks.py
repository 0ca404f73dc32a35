"""Start-up checks of the country configuration: a wrong COUNTRY_DATA_DIR stops `migrate`,
`runserver` and `check` with the file and key at fault, before any page shows a place."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register("reference")
def country_configuration_check(app_configs, **kwargs) -> list[Error]:
    from reference.country import country

    try:
        country()
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Set COUNTRY_ISO and COUNTRY_DATA_DIR in .env (README, 'Set up another country').",
                id="reference.E001",
            )
        ]
    return []
