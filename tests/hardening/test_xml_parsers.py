"""Every XML the system reads from outside goes through a parser that refuses document types and
entities (billion laughs, external entities): defusedxml (ODK instances, XLSX through openpyxl) or
expat with the declarations refused (core.geofiles: KML, GPX). A new parse elsewhere fails here."""

import re
from pathlib import Path

from django.conf import settings

APPS = ["accounts", "assistance", "community", "core", "dashboard", "demo", "education", "field", "gis", "hazards",
        "incidents", "mineaction", "quality", "reference", "reports"]  # fmt: skip
PARSING = re.compile(
    r"xml\.etree\.ElementTree import (?!Element\b|ParseError\b)"
    r"|ElementTree\.(fromstring|parse|iterparse|XMLParser|XMLPullParser)"
    # Escaping what is written (xml.sax.saxutils.escape) parses nothing.
    r"|\blxml\b|minidom|xml\.sax(?!\.saxutils import escape)|xml\.parsers|pulldom|xmlrpc"
)
# Where a parse is, and why it is safe.
ALLOWED = {
    "core/geofiles.py": "expat with every declaration handler refusing, and a depth limit",
}


def test_every_xml_parse_is_defused():
    found = {}
    for app in APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(settings.BASE_DIR).as_posix()
            lines = [number for number, line in enumerate(path.read_text().splitlines(), start=1)
                     if PARSING.search(line)]  # fmt: skip
            if lines:
                found[relative] = lines
    assert set(found) == set(ALLOWED)


def test_the_instance_parser_is_defusedxml_with_no_dtd():
    source = (Path(settings.BASE_DIR) / "field" / "openrosa.py").read_text()
    assert "from defusedxml.ElementTree import ParseError, fromstring" in source
    assert "forbid_dtd=True, forbid_entities=True, forbid_external=True" in source


def test_openpyxl_reads_through_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True
