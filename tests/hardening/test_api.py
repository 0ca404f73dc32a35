"""The REST API, every writable record type of the registry, create and update: every field sent
each value of the wrong type, each text field the text corpus, each date the date corpus, each
geometry the geometry corpus, and whole bodies that are not a record. No 500; a refusal is a 4xx
naming the field (or the body), and writes nothing."""

import json

import pytest
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from core import registry
from mineaction.api_urls import router
from tests.api.helpers import GAO_POINT, MOPTI_POINT, hazard_payload, incident_payload
from tests.hardening import corpus
from tests.hardening.doors import send

pytestmark = pytest.mark.django_db

VIEWSETS = {prefix: viewset for prefix, viewset, _basename in router.registry}
SLUGS = [entry.slug for entry in registry.entries() if entry.slug and entry.slug in VIEWSETS]
# Fields whose value names another record: a wrong value is "not found", tried with the wrong types.
SKIPPED = {"organisation"}
# Dates that may lie in the future: the end of an activity or a service still going on is planned.
FUTURE_ALLOWED = {"end_date", "hazard_status_date"}


def base_payloads(client) -> dict[str, dict]:
    """A valid body per record type, its parents made through the API first."""
    hazard = client.post("/api/v1/hazard-areas/", hazard_payload(external_id="H-base"), format="json").json()
    casualty = {"outcome": "injured", "sex": "female", "age": 30, "external_id": "C-base"}
    incident = client.post("/api/v1/incidents/", incident_payload(external_id="I-base", casualties=[casualty]),
                           format="json").json()  # fmt: skip
    casualty_id = incident["casualties"][0]["id"]
    survivor = client.post("/api/v1/survivors/", {"casualty": casualty_id, "external_id": "S-base"},
                           format="json").json()  # fmt: skip
    return {
        "hazard-areas": hazard_payload(name="Champ nord", evidence_description="Mines vues"),
        "land-release-activities": {"kind": "nts", "hazard_area": hazard["id"], "start_date": "2024-04-01",
                                    "end_date": "2024-04-02", "location": MOPTI_POINT, "notes": "RAS"},
        "incidents": incident_payload(description="Berger blessé"),
        "casualties": {"incident": incident["id"], "outcome": "injured", "sex": "male", "age": 30,
                       "injury_description": "Jambe"},
        "risk-education-sessions": {"location": MOPTI_POINT, "method": "direct", "target_group": "school",
                                    "girls": 12, "session_date": "2024-03-15"},
        "survivors": {"casualty": None, "needs": "Prothèse"},
        "assistance-services": {"survivor": survivor["id"], "service_type": "physiotherapy",
                                "start_date": "2024-03-20", "provider_name": "Centre de Mopti"},
        "community-reports": {"subject": "item", "item_count": 2, "location": GAO_POINT,
                              "report_date": "2024-03-15", "description": "Obus"},
    }  # fmt: skip


@pytest.fixture
def bases(api_alice):
    return base_payloads(api_alice)


def writable_fields(slug: str) -> dict[str, serializers.Field]:
    fields = VIEWSETS[slug].serializer_class().fields
    return {name: field for name, field in fields.items() if not field.read_only and name not in SKIPPED}


def _text_fields(slug):
    return [name for name, field in writable_fields(slug).items()
            if type(field) is serializers.CharField and not isinstance(field, serializers.ChoiceField)]  # fmt: skip


CASES = [(slug, name) for slug in SLUGS for name in writable_fields(slug)]
TEXT_CASES = [(slug, name) for slug in SLUGS for name in _text_fields(slug)]
DATE_CASES = [(slug, name) for slug in SLUGS for name, field in writable_fields(slug).items()
              if isinstance(field, serializers.DateField)]  # fmt: skip
GEOMETRY_CASES = [(slug, name) for slug in SLUGS for name, field in writable_fields(slug).items()
                  if isinstance(field, GeometryField)]  # fmt: skip


def _post(client, slug, body: str):
    return lambda: client.generic("POST", f"/api/v1/{slug}/", body.encode("utf-8", "surrogatepass"),
                                  content_type="application/json")  # fmt: skip


def _patch(client, slug, pk, body: str):
    return lambda: client.generic("PATCH", f"/api/v1/{slug}/{pk}/", body.encode("utf-8", "surrogatepass"),
                                  content_type="application/json")  # fmt: skip


def _record(client, slug, bases) -> int:
    payload = _valid(slug, bases, client)
    response = client.post(f"/api/v1/{slug}/", payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _valid(slug, bases, client):
    payload = dict(bases[slug])
    if slug == "survivors":
        # A casualty has one survivor record: each survivor gets a new casualty.
        made = client.post("/api/v1/casualties/", {"incident": bases["casualties"]["incident"], "outcome": "injured"},
                           format="json")  # fmt: skip
        payload["casualty"] = made.json()["id"]
    return payload


def _judge(outcome, field: str, label: str, failures: list, *, must_refuse: bool):
    if outcome.status >= 500 or outcome.error:
        failures.append(f"{label}: {outcome.status} {outcome.error}")
    elif outcome.refused:
        if outcome.changed:
            failures.append(f"{label}: refused ({outcome.status}) yet wrote {outcome.changed}")
        # The field itself, or for a rule across fields the one it names (a provider or its name).
        if not isinstance(outcome.body, dict) or not outcome.body:
            failures.append(f"{label}: {outcome.status} without naming the field: {str(outcome.body)[:200]}")
    elif must_refuse:
        failures.append(f"{label}: accepted ({outcome.status})")
    elif outcome.status not in (200, 201, 202):
        failures.append(f"{label}: unexpected {outcome.status} {str(outcome.body)[:200]}")


def _with(payload: dict, field: str, raw_value: str) -> str:
    """The payload as JSON text, with `field` set to the raw JSON `raw_value`."""
    marker = "__hostile__"
    return json.dumps({**payload, field: marker}).replace(f'"{marker}"', raw_value)


@pytest.mark.parametrize(("slug", "field"), CASES, ids=[f"{s}.{f}" for s, f in CASES])
def test_a_value_of_the_wrong_type_in_any_field_is_refused_or_stored_never_a_500(api_alice, bases, slug, field):
    """Wrong types, on create and on update. Some are valid for some fields (a string for a text);
    those are stored. The rest is a 4xx naming the field that writes nothing."""
    pk = _record(api_alice, slug, bases)
    failures = []
    for name, raw in corpus.WRONG_TYPES:
        payload = _valid(slug, bases, api_alice)
        created = send(_post(api_alice, slug, _with(payload, field, raw)))
        _judge(created, field, f"POST {name}", failures, must_refuse=raw in ("NaN", "Infinity", "-Infinity", "1e400"))
        updated = send(_patch(api_alice, slug, pk, _with({}, field, raw)))
        _judge(updated, field, f"PATCH {name}", failures, must_refuse=raw in ("NaN", "Infinity", "-Infinity", "1e400"))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("slug", "field"), TEXT_CASES, ids=[f"{s}.{f}" for s, f in TEXT_CASES])
def test_hostile_text_is_refused_or_stored_as_sent(api_alice, bases, slug, field):
    pk = _record(api_alice, slug, bases)
    max_length = writable_fields(slug)[field].max_length
    failures = []
    for name, text in corpus.TEXT_REFUSED + corpus.TEXT_STORED:
        raw = json.dumps(text)
        refuse = any(text == t for _n, t in corpus.TEXT_REFUSED) and (
            name != "over_max_length" or (max_length or 10**9) < len(text)
        )
        too_long = max_length is not None and len(text) > max_length
        for method, call in (("POST", _post(api_alice, slug, _with(_valid(slug, bases, api_alice), field, raw))),
                             ("PATCH", _patch(api_alice, slug, pk, _with({}, field, raw)))):  # fmt: skip
            outcome = send(call)
            _judge(outcome, field, f"{method} {name}", failures, must_refuse=refuse or too_long)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("slug", "field"), DATE_CASES, ids=[f"{s}.{f}" for s, f in DATE_CASES])
def test_dates_impossible_implausible_or_with_a_time_are_refused(api_alice, bases, slug, field):
    pk = _record(api_alice, slug, bases)
    failures = []
    for name, value in corpus.DATES:
        if name in ("year_9999", "tomorrow") and field in FUTURE_ALLOWED:
            continue
        raw = json.dumps(value)
        for method, call in (("POST", _post(api_alice, slug, _with(_valid(slug, bases, api_alice), field, raw))),
                             ("PATCH", _patch(api_alice, slug, pk, _with({}, field, raw)))):  # fmt: skip
            _judge(send(call), field, f"{method} {name}", failures, must_refuse=True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("slug", "field"), GEOMETRY_CASES, ids=[f"{s}.{f}" for s, f in GEOMETRY_CASES])
def test_broken_geometries_are_refused(api_alice, bases, slug, field):
    pk = _record(api_alice, slug, bases)
    model = registry.by_slug(slug).model
    polygon = "POLYGON" in model._meta.get_field(field).geom_type.upper()
    failures = []
    for name, geometry in corpus.POLYGONS if polygon else corpus.POINTS:
        raw = json.dumps(geometry)
        for method, call in (("POST", _post(api_alice, slug, _with(_valid(slug, bases, api_alice), field, raw))),
                             ("PATCH", _patch(api_alice, slug, pk, _with({}, field, raw)))):  # fmt: skip
            _judge(send(call), field, f"{method} {name}", failures, must_refuse=True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("slug", SLUGS)
def test_bodies_that_are_not_a_record_are_refused(api_alice, bases, slug):
    pk = _record(api_alice, slug, bases)
    failures = []
    for name, body, content_type in corpus.BODIES:
        for method, url in (("POST", f"/api/v1/{slug}/"), ("PATCH", f"/api/v1/{slug}/{pk}/"),
                            ("PUT", f"/api/v1/{slug}/{pk}/")):  # fmt: skip
            outcome = send(lambda method=method, url=url, body=body, content_type=content_type:
                           api_alice.generic(method, url, body, content_type=content_type))  # fmt: skip
            if name == "empty_body" and method == "PATCH" and outcome.status == 200:
                continue  # an empty change is no change
            _judge(outcome, "detail", f"{method} {name}", failures, must_refuse=True)
    assert not failures, "\n".join(failures)


def test_a_body_over_the_upload_limit_is_a_413_for_every_type(api_alice, bases, settings, snapshot):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    snapshot.take()
    for slug in SLUGS:
        body = json.dumps({**bases[slug], "external_id": "x" * 6_000})
        response = api_alice.generic("POST", f"/api/v1/{slug}/", body, content_type="application/json")
        assert response.status_code == 413, slug
        assert set(response.json()) == {"detail"}
    snapshot.check()


def test_the_parsers_refusals_name_the_field_and_the_reason(api_alice, bases, snapshot):
    body = _with(bases["incidents"], "description", '"a\\ud800b"')
    body = body[:-1] + ', "external_id": 1e400}'
    response = api_alice.generic("POST", "/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "description": ["Text cannot contain an unpaired surrogate (\\ud800 to \\udfff)."],
        "external_id": ["The number is too large to be read."],
    }
    snapshot.check()


def test_a_polygon_of_too_many_vertices_is_refused_naming_the_limit(api_alice, snapshot):
    ring = [[-4.19 + i * 1e-7, 14.49] for i in range(20_001)] + [[-4.19, 14.50], [-4.19, 14.49]]
    payload = hazard_payload(geometry={"type": "Polygon", "coordinates": [ring]})
    response = api_alice.post("/api/v1/hazard-areas/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"geometry": ["The geometry has 20003 vertices: simplify it to at most 20000."]}
    snapshot.check()


def _other_doors(client, bases) -> list[tuple[str, str, dict]]:
    """(method, URL, a valid body) of the API's writes beside the records: exports, reports, mappings,
    workflow transitions, tokens."""
    incident = client.post("/api/v1/incidents/", bases["incidents"], format="json").json()
    return [
        ("POST", "/api/v1/exports/", {"resource": "incidents", "format": "csv",
                                      "filters": {"date_after": "2024-01-01", "status": ["draft"]}}),
        ("POST", "/api/v1/reports/", {"report": "monitor", "year": 2024, "format": "xlsx"}),
        ("POST", "/api/v1/import-mappings/", {"name": "carte", "record_type": "incidents",
                                              "columns": {"Date": "incident_date"},
                                              "values": {"incident_class": {"IED": "improvised"}}}),
        ("POST", f"/api/v1/incidents/{incident['id']}/submit/", {"reason": "ok"}),
        ("POST", f"/api/v1/incidents/{incident['id']}/withdraw/", {"reason": "ok", "version": 1}),
        ("POST", "/api/v1/auth/token/", {"username": "alice", "password": "wrong"}),
    ]  # fmt: skip


# Wrong credentials (401) and too many of them (429) are the token's own refusals.
TOKEN_REFUSALS = {401, 429}


def test_the_other_writes_refuse_wrong_types_and_broken_bodies(api_alice, bases):
    failures = []
    for method, url, body in _other_doors(api_alice, bases):
        values = [*corpus.WRONG_TYPES, *[(name, json.dumps(text)) for name, text in corpus.TEXT_REFUSED]]
        # Inside the filters of an export too: they are a list's query parameters.
        keys = [*body, *(f"filters.{key}" for key in body.get("filters", {}))]
        for key in keys:
            for name, raw in values:
                if key.startswith("filters."):
                    sent = json.dumps({**body, "filters": "__f__"}).replace(
                        '"__f__"', _with(body["filters"], key.removeprefix("filters."), raw)
                    )
                else:
                    sent = _with(body, key, raw)
                outcome = send(
                    lambda method=method, url=url, sent=sent: api_alice.generic(
                        method, url, sent.encode("utf-8", "surrogatepass"), content_type="application/json"
                    )
                )
                if url.endswith("/token/") and outcome.status in TOKEN_REFUSALS:
                    continue
                _judge(outcome, key, f"{url} {key}={name}", failures, must_refuse=False)
        for name, raw, content_type in corpus.BODIES:
            outcome = send(
                lambda method=method, url=url, raw=raw, content_type=content_type: api_alice.generic(
                    method, url, raw, content_type=content_type
                )
            )
            if outcome.status >= 500 or outcome.error:
                failures.append(f"{url} body {name}: {outcome.status} {outcome.error}")
    assert not failures, "\n".join(failures)


def test_a_user_name_longer_than_any_is_refused_before_the_login_is_attempted(client, snapshot):
    from tests.field.odk_helpers import basic

    response = client.post("/api/v1/auth/token/", {"username": "a" * 10_000, "password": "x"},
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"username": ["Ensure this field has no more than 150 characters."]}
    for credentials in (basic("a" * 10_000, "x"), basic("alice\x00", "x"), basic("alice", "x\x00")):
        odk = client.get("/odk/formList", HTTP_AUTHORIZATION=credentials, HTTP_X_OPENROSA_VERSION="1.0")
        assert odk.status_code == 401
        assert odk["WWW-Authenticate"].startswith("Basic ")
    # The log-in pages (Django's form, whose length is only the input's attribute) show the form again
    # with the failed log-in recorded, its name cut to django-axes' column (accounts.backends).
    for url in ("/accounts/login/", "/admin/login/"):
        page = client.post(url, {"username": "a" * 10_000, "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200, url
        assert 'name="username"' in page.content.decode()
    snapshot.check()
