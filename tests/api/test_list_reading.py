"""Every record type's lists and details are read as values (core.api.reading), and say exactly what
its serializer writes of each record from the model instance, for the authority and for a partner,
who must not read another organisation's personal data."""

import json
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder

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


def _serialized(viewset, pk: int, user) -> dict:
    """What the record type's serializer writes of the record, from the model instance."""
    instance = viewset.queryset.get(pk=pk)
    context = {"request": SimpleNamespace(user=user), "entry": registry.get(viewset.queryset.model)}
    return json.loads(json.dumps(viewset.serializer_class(instance, context=context).data, cls=DjangoJSONEncoder))


def test_each_listed_record_and_its_detail_are_what_the_serializer_writes(demo_data, api_officer, officer_user,
                                                                         api_alice, alice):  # fmt: skip
    compared = 0
    for client, user in ((api_officer, officer_user), (api_alice, alice)):
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
                    written = _serialized(viewset, record["id"], user)
                    detail = client.get(f"/api/v1/{prefix}/{record['id']}/")
                    assert detail["ETag"] == f'"{written["version"]}"'

                    _same(detail.json(), written, f"{prefix} detail")
                    if suffix:
                        _same(geometry, written.pop(geometry_field), prefix)
                    _same(record, written, prefix)
                    compared += 1
    assert compared > 500
