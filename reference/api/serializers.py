from rest_framework import serializers

from reference.models import AdministrativeArea, Locality, OrdnanceType, Organisation


class AdministrativeAreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="pcode", read_only=True, allow_null=True)

    class Meta:
        model = AdministrativeArea
        fields = ("id", "level", "pcode", "iso_code", "name_fr", "name_en", "names", "parent", "valid_from",
                  "valid_to", "geometry")  # fmt: skip


class LocalitySerializer(serializers.ModelSerializer):
    admin_area = serializers.SlugRelatedField(slug_field="pcode", read_only=True, allow_null=True)

    class Meta:
        model = Locality
        fields = ("id", "name", "pcode", "kind", "location", "admin_area", "population")


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ("id", "acronym", "name", "kind", "accredited_from", "accredited_to", "is_active")


class OrdnanceTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrdnanceType
        fields = ("id", "model", "names", "category", "improvised", "activation", "description")
