"""OGC API - Features (`/ogcapi/`) and the map's doors (vector tiles, GeoJSON layers) sent query
parameters out of range, of the wrong type or hostile: a 4xx saying which, or an answer that
ignores what the standard lets it ignore; never a 500, never a write."""

import pytest

from gis import ogcapi, selectors, tiles
from tests.hardening import corpus
from tests.hardening.doors import send

pytestmark = pytest.mark.django_db

# Parameters the standard lets a server ignore or clamp (an unknown one, a limit above the maximum).
MAY_ANSWER = {"property_unknown", "limit_huge", "offset_huge", "f_unknown", "sortby_unknown", "datetime_open_both",
              "bbox_lat_200", "bbox_infinite", "bbox_huge", "property_sql", "datetime_year_one",
              "datetime_year_two"}  # fmt: skip


@pytest.fixture
def web_officer(client, officer):
    client.force_login(officer)
    return client


@pytest.mark.parametrize("collection", ogcapi.COLLECTIONS)
def test_hostile_query_parameters_of_ogc_api_features(web_officer, snapshot, collection):
    failures = []
    for name, query in corpus.OGC_PARAMETERS:
        for url in (
            f"/ogcapi/collections/{collection}/items?{query}",
            f"/ogcapi/collections/{collection}/items/1?{query}",
        ):
            outcome = send(lambda url=url: web_officer.get(url, HTTP_ACCEPT_LANGUAGE="en"), counted=False)
            if outcome.status >= 500 or outcome.error:
                failures.append(f"{url}: {outcome.status} {outcome.error}")
            elif outcome.changed:
                failures.append(f"{url}: wrote {outcome.changed}")
            elif outcome.status == 200 and name not in MAY_ANSWER and url.endswith(f"items?{query}"):
                failures.append(f"{url}: 200, a {name} is answered as if it were valid")
            elif outcome.status not in (200, 400, 404):
                failures.append(f"{url}: {outcome.status}")
    assert not failures, "\n".join(failures)
    snapshot.check()


@pytest.mark.parametrize("layer", tiles.LAYERS)
def test_tiles_out_of_range_or_not_numbers_are_404(web_officer, snapshot, layer):
    failures = []
    for name, zxy in corpus.TILES:
        outcome = send(lambda zxy=zxy: web_officer.get(f"/tiles/{layer}/{zxy}.pbf"), counted=False)
        if outcome.status != 404:
            failures.append(f"{name} {zxy}: {outcome.status} {outcome.error}")
    assert not failures, "\n".join(failures)
    snapshot.check()


@pytest.mark.parametrize(
    "query",
    ["bbox=a,b,c,d&zoom=5", "bbox=1,2,3&zoom=5", "bbox=NaN,NaN,NaN,NaN&zoom=5", "bbox=-1e400,-90,1e400,90&zoom=5",
     "bbox=-5,10,5,20&zoom=99999999999999999999", "bbox=-5,10,5,20&zoom=-1", "bbox=-5,10,5,20&zoom=%00",
     "bbox=%00&zoom=1", "bbox=-5,-200,5,200&zoom=3"],
)  # fmt: skip
@pytest.mark.parametrize("layer", list(selectors.LAYERS))
def test_the_maps_geojson_layers_refuse_a_broken_box_or_zoom(web_officer, snapshot, layer, query):
    outcome = send(lambda: web_officer.get(f"/map/layers/{layer}/?{query}", HTTP_ACCEPT_LANGUAGE="en"))
    assert outcome.status == 400, (outcome.status, outcome.error, outcome.body)
    assert set(outcome.body) == {"detail"}
    snapshot.check()
