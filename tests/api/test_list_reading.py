"""Every record type's list is read as values (core.api.reading), and says exactly what its
serializer says of each record (its detail), for the authority and for a partner, who must not read
another organisation's personal data."""

from io import StringIO

import pytest
from django.core.management import call_command

from core import registry
from core.api import reading
from core.api.views import RecordViewSet
from mineaction.api_urls import router

RESOURCES = [(prefix, viewset) for prefix, viewset, _ in router.registry if issubclass(viewset, RecordViewSet)]


def _same(listed, detailed, path="") -> None:
    """Equal; coordinates within a nanodegree (PostGIS and GEOS write the last digits differently)."""
    if isinstance(detailed, float) and isinstance(listed, float | int):
        assert abs(listed - detailed) < 1e-9, path
    elif isinstance(detailed, dict):
        assert isinstance(listed, dict), path
        assert list(listed) == list(detailed), path
        for key in detailed:
            _same(listed[key], detailed[key], f"{path}.{key}")
    elif isinstance(detailed, list):
        assert isinstance(listed, list), path
        assert len(listed) == len(detailed), path
        for index, (a, b) in enumerate(zip(listed, detailed, strict=True)):
            _same(a, b, f"{path}[{index}]")
    else:
        assert listed == detailed, path


@pytest.fixture
def demo_data(db):
    call_command("generate_demo_data", "--scale", "demo", "--seed", "3", stdout=StringIO())


def test_every_record_list_is_read_as_values():
    assert {prefix for prefix, _ in RESOURCES} >= {"incidents", "casualties", "hazard-areas", "community-reports"}
    for prefix, viewset in RESOURCES:
        assert reading.plan_for(viewset.serializer_class()) is not None, prefix


def test_each_listed_record_is_its_detail(demo_data, api_officer, api_alice):
    compared = 0
    for client in (api_officer, api_alice):
        for prefix, viewset in RESOURCES:
            geometry_field = registry.get(viewset.queryset.model).geometry_field
            for suffix in ("", "&format=geojson") if geometry_field else ("",):
                body = client.get(f"/api/v1/{prefix}/?page_size=40{suffix}").json()
                records = body.get("results") or [
                    {**f["properties"], "_geometry": f["geometry"]} for f in body.get("features", [])
                ]
                assert records, prefix
                for record in records:
                    geometry = record.pop("_geometry", None)
                    detail = client.get(f"/api/v1/{prefix}/{record['id']}/").json()
                    if suffix:
                        _same(geometry, detail.pop(geometry_field), prefix)
                    _same(record, detail, prefix)
                    compared += 1
    assert compared > 500
