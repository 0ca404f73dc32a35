from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import QuerySet

from reference.models import AdministrativeArea


def admin_areas_current() -> QuerySet[AdministrativeArea]:
    return AdministrativeArea.objects.filter(valid_to__isnull=True)


def admin_area_for_geometry(geom: GEOSGeometry) -> AdministrativeArea | None:
    """The most detailed current area containing the geometry (a point on its surface for
    polygons): derived spatially, never typed by hand (DOMAIN.md, "Places")."""
    point = geom if geom.geom_type == "Point" else geom.point_on_surface
    return (
        admin_areas_current()
        .filter(level__gt=AdministrativeArea.Level.COUNTRY, geometry__covers=point)
        .order_by("-level")
        .first()
    )


def country_area() -> AdministrativeArea | None:
    return admin_areas_current().filter(level=AdministrativeArea.Level.COUNTRY, iso_code=settings.COUNTRY_ISO).first()


def geometry_inside_country(geom: GEOSGeometry) -> bool | None:
    """None when the country's boundary is not loaded yet."""
    country = country_area()
    if country is None or country.geometry is None:
        return None
    return AdministrativeArea.objects.filter(pk=country.pk, geometry__covers=geom).exists()
