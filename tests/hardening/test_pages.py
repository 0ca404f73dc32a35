"""The web pages: every list's filters and search box, and every create and edit form, sent the
corpus; then every page, the admin and the map's layers read with markup stored in every text
column. No 500, refusals are form errors that write nothing, and markup is always shown escaped."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import models

from core import registry
from core.pages import pages_entries
from gis import selectors as map_selectors
from tests.hardening import corpus
from tests.hardening.doors import send
from tests.pages.records import AUTHORITY_PAGES, every_page, one_of_each

pytestmark = pytest.mark.django_db

FILTERS = ["date_after", "date_before", "updated_since", "bbox", "status", "admin_area", "external_id", "ordering",
           "page", "page_size", "q", "search", "category", "organisation"]  # fmt: skip
VALUES = [
    ("nul", "%00"),
    ("lone_surrogate_utf8", "%ED%A0%80"),
    ("not_utf8", "%FF%FE"),
    ("year_one", "0001-01-01"),
    ("year_9999", "9999-12-31"),
    ("impossible_date", "2025-02-30"),
    ("offset_out_of_range", quote("2024-03-15T10:00:00+25:00")),
    ("offset_far_east", quote("2024-03-15T10:00:00+14:00")),
    ("year_one_instant", quote("0001-01-01T00:00:00-12:00")),
    ("script", quote("<script>alert(1)</script>")),
    ("img", quote('"><img src=x onerror=alert(1)>')),
    ("sql", quote("' OR 1=1 --")),
    ("huge_integer", "99999999999999999999"),
    ("negative", "-1"),
    ("nan", "NaN"),
    ("float_overflow", "1e400"),
    ("long", "x" * 5_000),
    ("repeated", "a&{name}=b"),
]
# Markup as a browser would run it: must never appear as sent in a page.
UNESCAPED = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


@pytest.fixture
def records(partner_user, partner_a):
    return one_of_each(partner=partner_user, organisation=partner_a)


@pytest.fixture
def web_officer(client, officer):
    client.force_login(officer)
    return client


def _list_urls() -> list[str]:
    from django.urls import get_resolver

    from mineaction.api_urls import router

    # The pages register themselves when the URLconf is first read.
    get_resolver().url_patterns  # noqa: B018

    return [f"/{entry.name}/" for entry in pages_entries()] + [f"/api/v1/{prefix}/" for prefix, *_ in router.registry]


def _raw_markup(html: str) -> list[str]:
    return [payload for payload in UNESCAPED if payload in html]


@pytest.mark.parametrize("url", _list_urls())
def test_hostile_filters_and_searches_on_every_list(web_officer, records, snapshot, url):
    failures = []
    for param in FILTERS:
        for name, value in VALUES:
            query = f"{param}={value.format(name=param)}"
            outcome = send(
                lambda query=query: web_officer.get(f"{url}?{query}", HTTP_ACCEPT_LANGUAGE="en"), counted=False
            )
            label = f"{url}?{param}={name}"
            if outcome.status >= 500 or outcome.error:
                failures.append(f"{label}: {outcome.status} {outcome.error}")
            elif outcome.status not in (200, 400, 404):
                failures.append(f"{label}: {outcome.status}")
            elif outcome.changed:
                failures.append(f"{label}: wrote {outcome.changed}")
    assert not failures, "\n".join(failures)
    snapshot.check()


def test_a_reflected_search_is_escaped(web_officer, records):
    for url in (f"/{entry.name}/" for entry in pages_entries()):
        for param in ("external_id", "q", "date_after", "bbox"):
            for _name, value in VALUES[6:8]:
                html = web_officer.get(f"{url}?{param}={value}").content.decode()
                assert _raw_markup(html) == [], f"{url}?{param}"


# --- Forms ----------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each POST form of a page: its fields as a browser would send them, and which take free text."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[dict[str, list[str]], set[str]]] = []
        self._form = None
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = ({}, set())
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        data, text = self._form
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            data.setdefault(name, []).append(attrs.get("value") or ("on" if kind == "checkbox" else ""))
            if kind in ("text", "search"):
                text.add(name)
        elif tag == "textarea" and name:
            self._textarea = name
            data[name] = [""]
            text.add(name)
        elif tag == "select" and name:
            self._select = name
            data.setdefault(name, [])
        elif tag == "option" and self._select is not None and "selected" in attrs:
            data[self._select].append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._form is not None and self._textarea is not None:
            self._form[0][self._textarea][0] += data


def _form(client, url) -> tuple[dict[str, list[str]], set[str]]:
    """The page's main form: the POST form of the most fields (not the menu's log-out button)."""
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Forms()
    parser.feed(response.content.decode())
    return max(parser.forms, key=lambda form: len(form[0]))


# Fields whose text is a code or a geometry, not free text: a hostile string there is refused
# (or sent to the geometry parser, tried by its own corpus).
# The empty form a formset copies (`__prefix__`) is never read by the server.
NOT_FREE_TEXT = re.compile(
    r"geometry|location|csrf|version|_date$|date_|-TOTAL|-INITIAL|-MIN|-MAX|^q$|coordinates|__prefix__"
)


def _edit_pages(records) -> list[tuple[str, str]]:
    pages = []
    for name, record in records.items():
        pages += [(f"/{name}/new/", name), (f"/{name}/{record.pk}/edit/", name)]
    return pages


@pytest.mark.parametrize("which", ["new", "edit"])
def test_every_form_refuses_text_no_column_stores_and_stores_the_rest(web_officer, records, which):
    failures, tried = [], 0
    for url, _name in _edit_pages(records):
        if f"/{which}/" not in url:
            continue
        base, text_fields = _form(web_officer, url)
        fields = sorted(name for name in text_fields if not NOT_FREE_TEXT.search(name))
        for field in fields:
            for name, text in corpus.TEXT_REFUSED + corpus.TEXT_STORED:
                # As a browser sends it: UTF-8 bytes (a lone surrogate as the three bytes of its code point).
                data = {**base, field: [text.encode("utf-8", "surrogatepass")]}
                outcome = send(lambda url=url, data=data: web_officer.post(url, data, HTTP_ACCEPT_LANGUAGE="en"))
                tried += 1
                label = f"{url} {field}={name}"
                if outcome.status >= 500 or outcome.error:
                    failures.append(f"{label}: {outcome.status} {outcome.error}")
                elif outcome.status not in (200, 302, 400):
                    failures.append(f"{label}: {outcome.status}")
                elif outcome.status != 302 and outcome.changed:
                    failures.append(f"{label}: not saved, yet wrote {outcome.changed}")
                elif name in ("nul", "nul_only") and outcome.status == 302:
                    failures.append(f"{label}: a NUL was accepted")
                elif outcome.status != 302 and _raw_markup(outcome.body.decode("utf-8", "replace")):
                    failures.append(f"{label}: the form shows the markup unescaped")
    assert tried > 100
    assert not failures, "\n".join(failures)


# What the page's reader mends by design (core.geofiles): an open ring is closed, heights are dropped.
PAGE_MENDS = ("unclosed_ring", "four_d")


def test_the_hazard_page_refuses_every_broken_polygon_file_or_text_with_a_form_error(web_officer, records):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/hazards/{records['hazards'].pk}/edit/"
    base, _text = _form(web_officer, url)
    failures = []
    tries = [
        (name, {"geometry_file": SimpleUploadedFile(file_name, content)})
        for name, file_name, content in corpus.GEOMETRY_FILES
    ]
    tries += [(f"pasted {name}", {"geometry": json.dumps(geometry) if not isinstance(geometry, str) else geometry})
              for name, geometry in corpus.POLYGONS]  # fmt: skip
    for name, extra in tries:
        outcome = send(lambda extra=extra: web_officer.post(url, {**base, **extra}, HTTP_ACCEPT_LANGUAGE="en"))
        if outcome.status >= 500 or outcome.error:
            failures.append(f"{name}: {outcome.status} {outcome.error}")
        elif outcome.status == 302 and not name.endswith(PAGE_MENDS):
            failures.append(f"{name}: accepted")
        elif outcome.status != 302 and outcome.changed:
            failures.append(f"{name}: wrote {outcome.changed}")
        elif outcome.status != 302 and 'class="errorlist' not in outcome.body.decode():
            failures.append(f"{name}: {outcome.status} without a form error")
    assert not failures, "\n".join(failures)


# --- Stored markup, shown everywhere ----------------------------------------------------------


def _text_columns(model) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField) and not field.choices]  # fmt: skip


@pytest.fixture
def marked_up(records):
    """Every text column of every record (and of its casualties, sources, identities) holds markup."""
    for entry in registry.entries():
        model = entry.model
        for record in model.objects.all():
            values = {}
            for field in _text_columns(model):
                payload = corpus.MARKUP[record.pk % len(corpus.MARKUP)]
                if field.max_length and len(payload) > field.max_length:
                    payload = "<b>x</b>"[: field.max_length]
                values[field.name] = payload
            model.objects.filter(pk=record.pk).update(**values)
    return records


def _admin_pages(records) -> dict[str, str]:
    pages = {}
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        pages[f"admin {meta.label}"] = f"/admin/{meta.app_label}/{meta.model_name}/"
        first = model.objects.first()
        if first is not None:
            pages[f"admin {meta.label} change"] = f"/admin/{meta.app_label}/{meta.model_name}/{first.pk}/change/"
            pages[f"admin {meta.label} history"] = f"/admin/{meta.app_label}/{meta.model_name}/{first.pk}/history/"
    return pages


def test_stored_markup_is_escaped_on_every_page_and_in_the_admin(client, django_user_model, officer, marked_up):
    superuser = django_user_model.objects.create_superuser("root.admin", "root@example.org", "pw-root-42")
    from accounts.models import Profile

    Profile.objects.create(user=superuser, organisation=officer.profile.organisation)
    client.force_login(superuser)
    pages = {**every_page(marked_up), **AUTHORITY_PAGES, **_admin_pages(marked_up)}
    failures, shown = [], 0
    for name, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        if response.status_code >= 500:
            failures.append(f"{name}: {response.status_code}")
            continue
        html = response.content.decode()
        shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;img src=x onerror" in html
        if found := _raw_markup(html):
            failures.append(f"{name} ({url}): {found}")
    assert not failures, "\n".join(failures)
    # The markup is shown, escaped, on many pages: the check above looked at real content.
    assert shown > 10


def test_the_maps_layers_carry_markup_as_json_data(web_officer, marked_up):
    for layer in map_selectors.LAYERS:
        response = web_officer.get(f"/map/layers/{layer}/?bbox=-12.5,10,4.5,25.5&zoom=8")
        assert response.status_code == 200, layer
        # JSON a browser never sniffs as a page; the map's script writes it as text (below).
        assert response["Content-Type"] == "application/geo+json"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_the_scripts_write_record_data_as_text_never_as_markup():
    """Popups, lists and charts fill elements with textContent; the one innerHTML copies the
    formset's empty form, a template the server rendered (and escaped)."""
    found = []
    for path in sorted((settings.BASE_DIR / "static" / "js").glob("*.js")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.html\(", line):
                found.append(f"{path.name}:{number}")
    assert found == ["formset.js:16", "formset.js:18"]
