from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.renderers import JSONRenderer

from core.api.renderers import GeoJSONErrorsAsJSON, GeoJSONRenderer
from reference.api import serializers
from reference.filters import AdministrativeAreaFilter, LocalityFilter, OrdnanceTypeFilter, OrganisationFilter
from reference.models import AdministrativeArea, Locality, OrdnanceType, Organisation


class ReferenceViewSet(GeoJSONErrorsAsJSON, viewsets.ReadOnlyModelViewSet):
    """Reference data is read by everyone and edited by the authority in the admin."""

    filter_backends = [DjangoFilterBackend, OrderingFilter]
    geometry_field: str | None = None

    def get_renderers(self):
        return [JSONRenderer(), GeoJSONRenderer()] if self.geometry_field else [JSONRenderer()]


class AdministrativeAreaViewSet(ReferenceViewSet):
    """Administrative areas with their P-codes and boundary versions."""

    queryset = AdministrativeArea.objects.select_related("parent").order_by("level", "pcode", "valid_from")
    serializer_class = serializers.AdministrativeAreaSerializer
    filterset_class = AdministrativeAreaFilter
    geometry_field = "geometry"
    ordering_fields = ("level", "pcode", "name_fr")


class LocalityViewSet(ReferenceViewSet):
    queryset = Locality.objects.select_related("admin_area").order_by("name", "id")
    serializer_class = serializers.LocalitySerializer
    filterset_class = LocalityFilter
    geometry_field = "location"
    ordering_fields = ("name", "population")


class OrganisationViewSet(ReferenceViewSet):
    queryset = Organisation.objects.order_by("acronym")
    serializer_class = serializers.OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering_fields = ("acronym", "name")


class OrdnanceTypeViewSet(ReferenceViewSet):
    queryset = OrdnanceType.objects.order_by("category", "model")
    serializer_class = serializers.OrdnanceTypeSerializer
    filterset_class = OrdnanceTypeFilter
    ordering_fields = ("model", "category")
