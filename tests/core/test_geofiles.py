"""Polygons read from GeoJSON, KML and GPX files and pasted text: what is kept, and what is
refused with a message for the form field (core.geofiles)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.geofiles import MAX_BYTES, GeoFileError, read_geometry_bytes, read_geometry_file, read_geometry_text

SQUARE = [[-4.19, 14.49], [-4.18, 14.49], [-4.18, 14.50], [-4.19, 14.50], [-4.19, 14.49]]
HOLE = [[-4.188, 14.492], [-4.182, 14.492], [-4.182, 14.498], [-4.188, 14.492]]
POLYGON = {"type": "Polygon", "coordinates": [SQUARE]}


def _kml(placemarks: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{placemarks}</Document></kml>'
    ).encode()


def _kml_coordinates(ring, altitude=None) -> str:
    return " ".join(f"{x},{y}" + (f",{altitude}" if altitude is not None else "") for x, y in ring)


def _refused(content: bytes, name: str) -> str:
    with pytest.raises(GeoFileError) as exc:
        read_geometry_bytes(content, name=name)
    return exc.value.message


# --- GeoJSON --------------------------------------------------------------------------------


def test_a_geojson_polygon_becomes_a_multipolygon_of_one_part():
    read = read_geometry_bytes(json.dumps(POLYGON).encode(), name="area.geojson")

    assert read.geometry.geom_type == "MultiPolygon"
    assert read.geometry.srid == 4326
    assert read.geometry.coords == ((tuple(tuple(p) for p in SQUARE),),)
    assert read.notes == []


def test_a_geojson_feature_with_a_height_is_flattened():
    feature = {
        "type": "Feature",
        "properties": {"name": "Champ nord"},
        "geometry": {"type": "Polygon", "coordinates": [[[x, y, 312.5] for x, y in SQUARE]]},
    }

    read = read_geometry_text(json.dumps(feature))

    assert not read.geometry.hasz
    assert read.geometry[0].exterior_ring.coords == tuple(tuple(p) for p in SQUARE)


def test_a_feature_collection_of_two_polygons_and_a_point_is_kept_as_a_multipolygon_with_notes():
    shifted = [[x + 0.02, y] for x, y in SQUARE]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": POLYGON},
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [shifted]}},
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [-4.1, 14.4]}},
            {"type": "Feature", "properties": {}, "geometry": None},
        ],
    }

    read = read_geometry_bytes(json.dumps(collection).encode(), name="export.json")

    assert read.geometry.num_geom == 2
    assert read.notes == [
        "More than one polygon: the 2 polygons are kept as a multipolygon, one area of 2 parts.",
        "1 point or line of the file was not used: only polygons are.",
    ]


def test_geojson_in_another_coordinate_system_is_refused():
    data = {**POLYGON, "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32630"}}}

    message = _refused(json.dumps(data).encode(), "utm.geojson")

    assert message == (
        "Coordinates must be in WGS84 (EPSG:4326), not urn:ogc:def:crs:EPSG::32630: export the file again in WGS84."
    )


def test_malformed_and_deeply_nested_json_are_refused_with_a_clear_message():
    assert _refused(b'{"type": "Polygon", "coordinates": [[', "a.geojson") == (
        "The file is not valid GeoJSON: the JSON is malformed at line 1, column 38."
    )
    assert (
        _refused(b"[" * 50_000 + b"]" * 50_000, "deep.json")
        == "The file is not valid GeoJSON: it is nested too deeply."
    )
    nested = {"type": "GeometryCollection", "geometries": []}
    for _ in range(30):
        nested = {"type": "GeometryCollection", "geometries": [nested]}
    assert (
        _refused(json.dumps(nested).encode(), "deep.json") == "The file is not valid GeoJSON: it is nested too deeply."
    )
    assert _refused(b'{"type": "Polygon", "coordinates": [[["a", "b"]]]}', "a.geojson") == (
        "The file is not valid GeoJSON: a position must be longitude and latitude numbers."
    )


# --- KML ------------------------------------------------------------------------------------


def test_a_kml_polygon_with_an_inner_ring_and_altitude_is_read_flat():
    polygon = (
        "<Placemark><name>Zone 1</name><Polygon><altitudeMode>clampToGround</altitudeMode>"
        f"<outerBoundaryIs><LinearRing><coordinates>\n  {_kml_coordinates(SQUARE, 280)}\n</coordinates>"
        "</LinearRing></outerBoundaryIs>"
        f"<innerBoundaryIs><LinearRing><coordinates>{_kml_coordinates(HOLE, 280)}</coordinates></LinearRing>"
        "</innerBoundaryIs></Polygon></Placemark>"
    )

    read = read_geometry_bytes(_kml(polygon), name="zone.kml")

    polygon = read.geometry[0]
    assert read.geometry.geom_type == "MultiPolygon"
    assert not read.geometry.hasz
    assert polygon.num_interior_rings == 1
    assert polygon.exterior_ring.coords == tuple(tuple(p) for p in SQUARE)
    assert polygon[1].coords == tuple(tuple(p) for p in HOLE)
    assert read.geometry.valid


def test_a_kml_multigeometry_gives_every_polygon_and_closes_an_open_ring():
    open_ring = SQUARE[:-1]
    shifted = [[x + 0.02, y] for x, y in SQUARE]
    multi = (
        "<Placemark><MultiGeometry>"
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{_kml_coordinates(open_ring)}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon>"
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{_kml_coordinates(shifted)}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon>"
        "</MultiGeometry></Placemark>"
    )

    read = read_geometry_bytes(_kml(multi), name="zones.kml")

    assert read.geometry.num_geom == 2
    assert read.geometry[0].exterior_ring.coords == tuple(tuple(p) for p in SQUARE)
    assert "kept as a multipolygon" in read.notes[0]


def test_a_kml_of_points_only_has_no_polygon():
    points = "<Placemark><Point><coordinates>-4.19,14.49,0</coordinates></Point></Placemark>" * 2

    assert _refused(_kml(points), "points.kml") == "No polygon in this file: it holds only 2 points."


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&lol9;</name></Document></kml>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<gpx version="1.1" creator="x"><wpt lat="14.49" lon="-4.19"><name>&secret;</name></wpt></gpx>"""


def test_a_billion_laughs_document_is_refused_before_any_entity_is_expanded():
    assert _refused(BILLION_LAUGHS, "bomb.kml") == (
        "The file is not valid KML: it declares a document type or entities, which KML files never need; "
        "such a file is refused."
    )


def test_an_external_entity_is_refused():
    message = _refused(XXE, "xxe.gpx")

    assert message.startswith("The file is not valid GPX: it declares a document type or entities")
    assert "root:" not in message


def test_broken_xml_and_a_wrong_root_are_refused():
    assert _refused(b"<kml><Document><Placemark></Document></kml>", "broken.kml") == (
        "The file is not valid KML: the XML is malformed at line 1, column 29."
    )
    assert _refused(b"<html><body>Not found</body></html>", "area.kml") == (
        "The file is not valid KML: its root element is <html>, not <kml>."
    )


# --- GPX ------------------------------------------------------------------------------------


def _gpx(body: str) -> bytes:
    return f'<?xml version="1.0"?><gpx version="1.1" creator="GPSMAP" xmlns="http://www.topografix.com/GPX/1/1">{body}</gpx>'.encode()


def _points(tag: str, ring) -> str:
    return "".join(f'<{tag} lat="{y}" lon="{x}"><ele>301.2</ele></{tag}>' for x, y in ring)


def test_a_gpx_track_walked_around_the_area_is_closed_into_a_polygon():
    walked = SQUARE[:-1]

    read = read_geometry_bytes(_gpx(f"<trk><name>Tour</name><trkseg>{_points('trkpt', walked)}</trkseg></trk>"),
                               name="tour.gpx")  # fmt: skip

    assert read.geometry.geom_type == "MultiPolygon"
    assert read.geometry[0].exterior_ring.coords == tuple(tuple(p) for p in SQUARE)
    assert read.notes == ["A track was closed into a polygon by joining its last point to its first."]


def test_gpx_waypoints_make_a_polygon_when_there_is_no_track():
    read = read_geometry_bytes(_gpx(_points("wpt", SQUARE[:-1])), name="corners.gpx")

    assert read.geometry[0].exterior_ring.coords == tuple(tuple(p) for p in SQUARE)
    assert read.notes == ["The file has no track: its 4 waypoints were joined, in their order, into a polygon."]


def test_a_gpx_route_and_a_short_track():
    route = f"<rte>{_points('rtept', SQUARE)}</rte>"
    short = f"<trk><trkseg>{_points('trkpt', SQUARE[:2])}</trkseg></trk>"

    read = read_geometry_bytes(_gpx(short + route), name="route.gpx")

    assert read.geometry.num_geom == 1
    assert read.notes == ["1 point or line of the file was not used: only polygons are."]
    assert _refused(_gpx(short), "short.gpx") == "No polygon in this file: it holds only 1 line."
    assert _refused(_gpx('<wpt lat="north" lon="-4.19"/>'), "bad.gpx") == (
        "The file is not valid GPX: a point has no valid lat and lon."
    )


# --- Size, garbage, pasted text -------------------------------------------------------------


def test_an_oversized_file_is_refused_before_it_is_read():
    upload = SimpleUploadedFile("big.geojson", b" " * (MAX_BYTES + 1), content_type="application/geo+json")

    with pytest.raises(GeoFileError) as exc:
        read_geometry_file(upload)

    assert exc.value.message == "The file is too large (2.0 MB): the limit is 2 MB."


def test_garbage_empty_files_and_other_formats_are_refused_with_a_clear_message():
    assert _refused(b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png") == "The file is neither GeoJSON, KML nor GPX."
    assert _refused(b"   \n", "empty.kml") == "The file is empty."
    assert _refused(b"PK\x03\x04", "zone.kmz") == "A KMZ file is a zipped KML: unzip it and load the .kml file inside."
    assert _refused(b"\xff\xfe\x00garbage", "area.geojson") == "The file is not valid GeoJSON: it is not UTF-8 text."


def test_pasted_wkt_with_a_height_and_pasted_garbage():
    read = read_geometry_text("POLYGON Z ((-4.19 14.49 5, -4.18 14.49 5, -4.18 14.5 5, -4.19 14.49 5))")

    assert read.geometry.geom_type == "MultiPolygon"
    assert not read.geometry.hasz
    assert read.geometry[0].exterior_ring.coords == ((-4.19, 14.49), (-4.18, 14.49), (-4.18, 14.5), (-4.19, 14.49))
    with pytest.raises(GeoFileError, match="The text is not valid WKT"):
        read_geometry_text("POLYGON((1 2, 3")
    with pytest.raises(GeoFileError, match="not EPSG:3857"):
        read_geometry_text("SRID=3857;POLYGON((0 0, 1 0, 1 1, 0 0))")
    with pytest.raises(GeoFileError, match="at least 3 distinct vertices"):
        read_geometry_text('{"type": "Polygon", "coordinates": [[[1, 2], [3, 4], [1, 2], [1, 2]]]}')
    with pytest.raises(GeoFileError, match="No polygon in this file: it holds only 1 line"):
        read_geometry_text("LINESTRING(-4.19 14.49, -4.18 14.49)")
