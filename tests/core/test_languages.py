"""Every shipped language is a complete translation: its catalogue, and every page as a person reads it.

A page is untranslated where one of its visible texts is what Django shows for a message the
page's language lacks: the English of the source, or the default language's (LANGUAGE_CODE)
translation, where the page's language translates that message otherwise.
"""

import ast
import os
import re
import tempfile
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.core.management.commands import makemessages
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.workflow import record_transition
from hazards.services import hazard_area_create
from incidents.services import incident_create
from tests.geo import GAO, MOPTI, point, square

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.LOCALE_PATHS[0])
# English is the language of the source: it has no catalogue to check.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
RIGHT_TO_LEFT = {"ar", "fa", "he", "ur"}
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdfir]|%[sdfir]|\{\w*\}")


class _Extraction(makemessages.Command):
    """makemessages as the README runs it, writing its .pot into a folder of its own, not into locale/."""

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def find_files(self, root):
        files = super().find_files(root)
        self.locale_paths = [self.folder]
        return [self.translatable_file_class(file.dirpath, file.file, self.folder) for file in files]


@cache
def _project_messages() -> dict[str, polib.POEntry]:
    """The project's catalogue as the source says now: every message marked for translation."""
    with tempfile.TemporaryDirectory() as folder:
        here = Path.cwd()
        # makemessages reads the tree under the current directory.
        os.chdir(settings.BASE_DIR)
        try:
            call_command(
                _Extraction(folder), locale=["en"], ignore_patterns=[".venv", "var"], keep_pot=True, verbosity=0
            )
        finally:
            os.chdir(here)
        return {entry.msgid: entry for entry in polib.pofile(str(Path(folder) / "django.pot"))}


@cache
def _catalogue(code: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / code / "LC_MESSAGES" / "django.po"))


def _live(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete]


def _forms(entry: polib.POEntry) -> list[str]:
    return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)] if entry.msgid_plural else [entry.msgstr]


def _nplurals(catalogue: polib.POFile) -> int:
    return int(re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata["Plural-Forms"]).group(1))


# --- (a) The catalogues ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_has_no_untranslated_or_fuzzy_entry(code):
    catalogue = _catalogue(code)

    assert catalogue.metadata.get("Language") == code
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert not catalogue.metadata_is_fuzzy
    # Every plural entry has as many forms as the language's rule counts, none of them empty.
    nplurals = _nplurals(catalogue)
    assert [e.msgid for e in _live(catalogue) if e.msgid_plural and len(e.msgstr_plural) != nplurals] == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_keeps_every_placeholder(code):
    broken = [
        (entry.msgid, form)
        for entry in _live(_catalogue(code))
        for form in _forms(entry)
        if sorted(PLACEHOLDER.findall(form)) != sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        # A singular form may say "one" in words instead of its number.
        and not (entry.msgid_plural and set(PLACEHOLDER.findall(form)) <= set(PLACEHOLDER.findall(entry.msgid_plural)))
    ]

    assert broken == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_holds_every_message_of_the_source(code):
    # A catalogue whose makemessages was not run again lags behind: its new strings show in French or English.
    missing = set(_project_messages()) - {entry.msgid for entry in _live(_catalogue(code))}

    assert sorted(missing) == [], f"run: manage.py makemessages -l {code} --ignore=.venv --ignore=var, then translate"


# What makemessages reads as a message to translate: xgettext's own keywords and those Django adds.
EXTRACTED_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy", "pgettext",
                   "pgettext_lazy", "npgettext", "npgettext_lazy"}  # fmt: skip


def test_translation_functions_keep_a_name_makemessages_reads():
    # `gettext_lazy as _lazy`: its strings never reach a catalogue, and stay in English in every language.
    hidden = []
    for folder, folders, files in os.walk(settings.BASE_DIR):
        folders[:] = [name for name in folders if not name.startswith(".") and name not in {"var", "node_modules"}]
        for name in (name for name in files if name.endswith(".py")):
            path = Path(folder) / name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                    hidden += [
                        f"{path.relative_to(settings.BASE_DIR)}: {alias.name} as {alias.asname}"
                        for alias in node.names
                        if alias.name in EXTRACTED_NAMES and (alias.asname or alias.name) not in EXTRACTED_NAMES
                    ]

    assert hidden == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_is_up_to_date(code):
    compiled = polib.mofile(str(LOCALE / code / "LC_MESSAGES" / "django.mo"))
    # A message is known by its context too ("Failed" as an export's status, or a check's verdict).
    served = {(entry.msgctxt, entry.msgid): _forms(entry) for entry in compiled}

    stale = [
        e.msgid for e in _live(_catalogue(code)) if e.translated() and served.get((e.msgctxt, e.msgid)) != _forms(e)
    ]
    assert stale == [], "run: manage.py compilemessages --ignore=.venv"


# --- (b) The pages --------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """The texts a reader sees (text nodes, and the labels of buttons, images and fields), and the <html> tag.

    Text inside an element marked with another language (the language switcher names each language in
    its own) is that language's, not the page's: it is left out.
    """

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    # Scripts are not read; <code> holds identifiers (a field's name in the API), the same in every language.
    NOT_READ = {"script", "style", "template", "noscript", "code", "kbd", "samp"}
    SEEN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.html_attrs: dict[str, str] = {}
        self.texts: list[str] = []
        self._open: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return bool(self._open) and self._open[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_attrs = {name: value or "" for name, value in attrs.items()}
        foreign = "lang" in attrs and tag != "html" and attrs["lang"] != self.html_attrs.get("lang")
        skipping = self._skipping() or tag in self.NOT_READ or foreign
        if not skipping:
            self.texts.extend(attrs[name] for name in self.SEEN_ATTRIBUTES if attrs.get(name))
            if tag == "input" and attrs.get("type") in {"submit", "button", "reset"} and attrs.get("value"):
                self.texts.append(attrs["value"])
        if tag not in self.VOID:
            self._open.append((tag, skipping))

    def handle_endtag(self, tag):
        # Pop up to the element that ends; an end tag that opened nothing is ignored.
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == tag:
                del self._open[depth:]
                return

    def handle_data(self, data):
        if not self._skipping():
            self.texts.append(data)


def _normal(text: str) -> str:
    # Admin labels end with a colon; capfirst turns "incident" into "Incident".
    text = " ".join(text.split()).rstrip(":").strip()
    return text[:1].upper() + text[1:]


def _pattern(message: str) -> re.Pattern:
    return re.compile(".+?".join(re.escape(part) for part in PLACEHOLDER.split(_normal(message))), re.DOTALL)


@cache
def _fallback_messages(code: str) -> tuple[set[str], list[re.Pattern], set[str], list[re.Pattern]]:
    """What a page shows in place of a message the language lacks, and every translation the language has.

    Where the language's catalogue lacks a message (or left it empty), Django shows the default
    language's translation (LANGUAGE_CODE), else the English of the source.
    """
    own = {entry.msgid: entry for entry in _live(_catalogue(code))}
    translations, translated_patterns = set(), []
    for entry in own.values():
        for translated in filter(None, _forms(entry)):
            translations.add(_normal(translated))
            if PLACEHOLDER.search(translated):
                translated_patterns.append(_pattern(translated))
    default = settings.LANGUAGE_CODE
    fallback = {} if default in {code, "en"} else {entry.msgid: entry for entry in _live(_catalogue(default))}
    plain, patterns = set(), []
    for msgid, entry in _project_messages().items():
        own_forms = {_normal(form) for form in _forms(own[msgid]) if form} if msgid in own else set()
        shown = [entry.msgid, entry.msgid_plural, *(_forms(fallback[msgid]) if msgid in fallback else [])]
        for text in filter(None, shown):
            # "API", "P-code", "Probable": the same word in both languages is no sign of a fallback.
            if _normal(text) in own_forms:
                continue
            if not PLACEHOLDER.search(text):
                plain.add(_normal(text))
            # A message made only of placeholders and punctuation would match anything.
            elif re.search(r"[^\W\d_]{3}", PLACEHOLDER.sub("", text)):
                patterns.append(_pattern(text))
    return plain, patterns, translations, translated_patterns


def _untranslated(html: str, code: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    plain, patterns, translations, translated_patterns = _fallback_messages(code)
    found = []
    for text in {_normal(text) for text in parser.texts if text.strip()}:
        # "Media" is English for "Medios de comunicación" but Spanish for "Medium": a translation is no fallback.
        if text in translations or any(p.fullmatch(text) for p in translated_patterns):
            continue
        if text in plain or any(p.fullmatch(text) for p in patterns):
            found.append(text)
    return sorted(found)


def _html_attrs(html: str) -> dict[str, str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.html_attrs


def test_an_untranslated_text_is_found_in_english_or_in_the_default_language():
    page = """<html lang="es"><head><title>Cola de aprobación</title></head><body>
      <h1>Confirmed hazardous area (CHA)</h1>
      <p title="Zone dangereuse confirmée (ZDC)">Zona peligrosa confirmada (ZPC)</p>
      <label>Estado:</label> <label>Status:</label> <p>Seuls les 3 plus anciens sont affichés.</p> <p>Media</p>
      <option lang="en">English</option><script>var label = "Approval queue";</script><code>status</code>
    </body></html>"""

    assert _untranslated(page, "es") == [
        "Confirmed hazardous area (CHA)",
        "Seuls les 3 plus anciens sont affichés.",
        "Status",
        "Zone dangereuse confirmée (ZDC)",
    ]


@pytest.fixture
def records(officer, partner_user, partner_a):
    """A partner's incident with a casualty, submitted to the authority, and a hazardous area."""
    incident = incident_create(
        user=partner_user,
        organisation=partner_a,
        data={
            "incident_class": "improvised",
            "incident_date": "2024-02-03",
            "location": point(GAO),
            "device_category_reported": "improvised_av_mine",
            "how_activated": "stepped_on",
        },
        casualties=[{"outcome": "injured", "sex": "male", "age": 12, "civilian_status": "civilian"}],
    )
    record_transition(record=incident, user=partner_user, action="submit")
    hazard = hazard_area_create(
        user=partner_user,
        organisation=partner_a,
        data={
            "land_class": "sha",
            "geometry": square(MOPTI, 0.02),
            "evidence": "indirect",
            "survey_date": "2024-02-01",
        },
    )
    return incident, incident.casualties.get(), hazard


def _pages(incident, casualty, hazard) -> dict[str, str]:
    return {
        "home": "/",
        "approval queue": reverse("approval-queue"),
        "data-quality report": reverse("quality:report"),
        "admin index": reverse("admin:index"),
        "incident list": reverse("admin:incidents_incident_changelist"),
        "incident with a casualty": reverse("admin:incidents_incident_change", args=[incident.pk]),
        "incident history": reverse("admin:incidents_incident_history", args=[incident.pk]),
        "casualty": reverse("admin:incidents_casualty_change", args=[casualty.pk]),
        "hazardous area": reverse("admin:hazards_hazardarea_change", args=[hazard.pk]),
        "new incident": reverse("admin:incidents_incident_add"),
        "new land release activity": reverse("admin:hazards_landreleaseactivity_add"),
    }


def _read(client, url: str, code: str) -> tuple[int, str]:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=code)
    return response.status_code, response.content.decode()


def _assert_in_language(status: int, html: str, code: str, page: str) -> None:
    assert status == 200, page
    attrs = _html_attrs(html)
    assert attrs.get("lang") == code, page
    if code in RIGHT_TO_LEFT:
        assert attrs.get("dir") == "rtl", page
    else:
        assert attrs.get("dir", "ltr") == "ltr", page


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_page_renders_in_the_language_with_nothing_untranslated(client, officer, records, code):
    client.force_login(officer)
    untranslated = {}
    for page, url in _pages(*records).items():
        status, html = _read(client, url, code)
        _assert_in_language(status, html, code, page)
        if found := _untranslated(html, code):
            untranslated[page] = found

    assert untranslated == {}


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_admin_list_and_form_of_the_officer_is_translated(client, officer, records, code, rf):
    client.force_login(officer)
    request = rf.get("/admin/")
    request.user = officer
    untranslated = {}
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls = []
        if model_admin.has_view_permission(request):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        for url in urls:
            status, html = _read(client, url, code)
            _assert_in_language(status, html, code, url)
            if found := _untranslated(html, code):
                untranslated[url] = found

    assert untranslated == {}


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_login_page_is_translated(client, code):
    status, html = _read(client, reverse("admin:login"), code)

    _assert_in_language(status, html, code, "login")
    assert _untranslated(html, code) == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_api_documentation_shell_holds_no_untranslated_message_of_ours(client, officer, code):
    # Swagger UI is English-only and its shell claims no language; only our own messages could leak in.
    client.force_login(officer)
    status, html = _read(client, reverse("swagger-ui"), code)

    assert status == 200
    assert _untranslated(html, code) == []


def test_the_language_switcher_offers_every_language_by_its_own_name(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    options = re.findall(r'<option value="(\w+)" lang="\1"(?: dir="rtl")?( selected)?>([^<]+)</option>', html)
    assert options == [
        ("fr", "", "Français"),
        ("en", "", "English"),
        ("es", " selected", "Español"),
        ("pt", "", "Português"),
        ("ar", "", "العربيّة"),
    ]
    assert '<option value="ar" lang="ar" dir="rtl">' in html


@pytest.mark.parametrize("code", [code for code, _name in settings.LANGUAGES])
def test_the_language_chosen_in_the_switcher_is_kept(client, code):
    response = client.post(reverse("set_language"), {"language": code, "next": "/"})

    assert response.status_code == 302
    assert _html_attrs(client.get("/accounts/login/").content.decode())["lang"] == code


def test_arabic_pages_read_right_to_left(client, officer):
    client.force_login(officer)

    for url in ("/", reverse("admin:index")):
        assert _html_attrs(client.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode())["dir"] == "rtl"
    assert "dir" not in _html_attrs(client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode())


# --- The API answers in the request's language ------------------------------------------------


def test_api_field_messages_follow_accept_language_spanish(partner_user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="es")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=partner_user).key}")

    response = client.post(
        "/api/v1/incidents/",
        {
            "incident_class": "improvised",
            "incident_date": "2999-01-01",
            "location": {"type": "Point", "coordinates": [2.35, 48.85]},
            "device_category_reported": "improvised_av_mine",
            "how_activated": "stepped_on",
            "casualties": [{"outcome": "injured", "age": 140}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response["Content-Language"] == "es"
    assert response.json() == {"casualties": {"0": {"age": ["Asegúrese de que este valor es menor o igual a 120."]}}}

    response = client.post(
        "/api/v1/incidents/",
        {
            "incident_class": "improvised",
            "incident_date": "2999-01-01",
            "location": {"type": "Point", "coordinates": [2.35, 48.85]},
            "device_category_reported": "improvised_av_mine",
            "how_activated": "stepped_on",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "location": ["La ubicación se encuentra fuera del país."],
        "incident_date": ["La fecha no puede ser futura."],
    }
