"""Field submissions: ODK Collect's OpenRosa submission endpoint sent broken, hostile and
implausible instances, and KoboToolbox rows of the wrong shape read by the pull. Each is an
OpenRosa error (4xx) that keeps nothing, or a submission kept for a data manager's review with the
reason (202, as Collect must not send it again); never a record, never a 500."""

from xml.sax.saxutils import escape

import pytest

from field.kobo import row_payload
from field.models import FieldSubmission
from field.openrosa import kobo_row_data
from field.submissions import submission_receive
from field.xlsforms import FORMS, form_build
from tests.field.odk_helpers import basic, instance, new_instance_id, post_submission, submission_parts
from tests.field.test_odk_collect import _accident
from tests.hardening import corpus
from tests.hardening.doors import send

pytestmark = pytest.mark.django_db

PARTNER = basic("moussa.partner", "pw-partner-1")
RECORD_TABLES = ("incidents_", "hazards_", "education_", "community_", "assistance_", "pghistory_")


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.FIELD_ATTACHMENT_ROOT = tmp_path / "field"


def _version():
    return form_build("accident_report").version


def _broken_xml() -> list[tuple[str, bytes]]:
    version = _version()
    good = _accident(version, new_instance_id())
    return [
        ("empty", b""),
        ("not_xml", b"hello"),
        ("truncated", good[: len(good) // 2]),
        ("not_utf8", b"<?xml version='1.0' encoding='utf-8'?><accident_report id='accident_report'>\xff\xfe"),
        ("billion_laughs", corpus.xml_attack(corpus.BILLION_LAUGHS, "accident_report", "lol9")),
        ("xxe", corpus.xml_attack(corpus.XXE, "accident_report", "xxe")),
        ("nul_entity", good.replace(b"<description>", b"<description>&#0;")),
        ("no_form_id", b"<accident_report><meta><instanceID>uuid:x</instanceID></meta></accident_report>"),
        ("unknown_form", instance("no_such_form", "1", new_instance_id(), "")),
        ("no_instance_id", good.replace(b"<instanceID>", b"<other>").replace(b"</instanceID>", b"</other>")),
        ("instance_id_10k", instance("accident_report", version, "uuid:" + "x" * 10_000, "")),
        ("script_form_id", instance("<script>", version, new_instance_id(), "")),
    ]


# Well-formed instances whose answers break a rule: (name, answers of the accident report).
BAD_ANSWERS = [
    ("age_huge", {"age1": "99999999999999999999"}),
    ("age_overflow", {"age1": "1e400"}),
    ("age_nan", {"age1": "NaN"}),
    ("age_superscript", {"age1": "²"}),
    ("date_impossible", {"incident_date": "2025-02-30"}),
    ("date_year_one", {"incident_date": "0001-01-01"}),
    ("date_9999", {"incident_date": "9999-12-31"}),
    ("date_words", {"incident_date": "hier"}),
    ("point_lat_200", {"location": "200 -4.19 0 0"}),
    ("point_nan", {"location": "NaN NaN 0 0"}),
    ("point_swapped_outside", {"location": "-4.19 14.49 0 0"}),
    ("point_one_number", {"location": "14.49"}),
    ("point_outside_country", {"location": "48.85 2.35 0 0"}),
    ("locality_huge", {"locality": "99999999999999999999"}),
    ("locality_superscript", {"locality": "²"}),
    ("locality_arabic_digits", {"locality": "١٢٣٤٥٦٧"}),
    ("ordnance_words", {"ordnance_type": "<script>alert(1)</script>"}),
    ("choice_xss", {"incident_class": "<script>alert(1)</script>"}),
    ("time_words", {"incident_time": "noon"}),
]


def _judge(outcome, label, failures, *, kept_allowed):
    if outcome.status >= 500 or outcome.error:
        failures.append(f"{label}: {outcome.status} {outcome.error}")
        return
    records = {name: counts for name, counts in outcome.changed.items() if name.startswith(RECORD_TABLES)}
    if records:
        failures.append(f"{label}: wrote records {records}")
    if outcome.status in (400, 401, 403, 404, 413, 415):
        if outcome.changed:
            failures.append(f"{label}: refused ({outcome.status}) yet wrote {outcome.changed}")
        if b"OpenRosaResponse" not in outcome.body:
            failures.append(f"{label}: {outcome.status} is not an OpenRosa answer: {outcome.body[:120]!r}")
    elif not (kept_allowed and outcome.status == 202):
        failures.append(f"{label}: {outcome.status} {outcome.body[:200]!r}")


def test_broken_or_hostile_instances_are_openrosa_errors_that_keep_nothing(client, partner_user, snapshot):
    failures = []
    for name, xml in _broken_xml():
        outcome = send(lambda xml=xml: post_submission(client, PARTNER, submission_parts(xml)))
        _judge(outcome, name, failures, kept_allowed=False)
    assert not failures, "\n".join(failures)
    snapshot.check()


def test_instances_breaking_a_rule_are_kept_for_review_never_made_records(client, partner_user):
    failures = []
    for name, answers in BAD_ANSWERS:
        # Answers as Collect writes them: XML-escaped text.
        xml = _accident(_version(), new_instance_id(), **{key: escape(value) for key, value in answers.items()})
        outcome = send(lambda xml=xml: post_submission(client, PARTNER, submission_parts(xml)))
        _judge(outcome, name, failures, kept_allowed=True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [("json", b"{}", "application/json"), ("xml", b"<a/>", "text/xml"),
     ("form", b"a=1", "application/x-www-form-urlencoded"), ("multipart_no_boundary", b"--x--", "multipart/form-data"),
     ("multipart_garbage", b"\x00" * 100, "multipart/form-data; boundary=zz")],
)  # fmt: skip
def test_a_body_that_is_not_a_submission_is_an_openrosa_400(client, partner_user, snapshot, name, body, content_type):
    outcome = send(lambda: client.generic("POST", "/odk/submission", body, content_type=content_type,
                                          HTTP_AUTHORIZATION=PARTNER, HTTP_X_OPENROSA_VERSION="1.0"))  # fmt: skip
    failures = []
    _judge(outcome, name, failures, kept_allowed=False)
    assert outcome.status == 400, (outcome.status, outcome.body)
    assert not failures, failures
    snapshot.check()


def test_a_submission_over_its_limit_is_an_openrosa_413(client, partner_user, snapshot, monkeypatch):
    from field import odk_views

    monkeypatch.setattr(odk_views, "SUBMISSION_MAX_BYTES", 2_000)
    xml = _accident(_version(), new_instance_id(), description="x" * 5_000)
    response = post_submission(client, PARTNER, submission_parts(xml))
    assert response.status_code == 413
    assert b"OpenRosaResponse" in response.content
    snapshot.check()


# --- KoboToolbox rows ------------------------------------------------------------------------

KOBO_ROWS = [
    ("values_not_text", {"incident_date": ["2024-03-15"], "incident_class": {"a": 1}, "location": None}),
    ("numbers", {"incident_date": 20240315, "location": 1e308, "age": float("inf")}),
    ("nul_and_surrogate", {"incident_date": "2024-03-15", "description": "a\x00b\ud800c",
                           "location": "14.49 -4.19 0 0"}),
    ("repeat_not_list", {"casualties": "killed"}),
    ("repeat_of_junk", {"casualties": [1, "x", None, {"casualties/casualty_age": "²"}]}),
    ("keys_hostile", {"<script>": "x", "../../etc/passwd": "y", "a" * 10_000: "z"}),
]  # fmt: skip


def test_kobo_rows_of_the_wrong_shape_are_kept_for_review_never_made_records(partner_user, partner_a):
    spec = FORMS["accident_report"]
    failures = []
    for name, row in KOBO_ROWS:
        row = {"_uuid": f"kobo-{name}", "__version__": _version(), **row}

        def call(row=row):
            received = submission_receive(
                source=FieldSubmission.Source.KOBO, form_id=spec.form_id, instance_id=f"uuid:{row['_uuid']}",
                form_version=row["__version__"], user=partner_user, answers=kobo_row_data(row, spec.repeats),
                payload=row_payload(row), files=[],
            )  # fmt: skip
            # Accepted or not, the answer Collect would get; the tables say whether a record was made.
            return type(
                "Response", (), {"status_code": 201 if received.accepted else 202, "get": lambda *a: "", "content": b""}
            )()

        outcome = send(call)
        if outcome.error:
            failures.append(f"{name}: {outcome.error}")
        elif any(table.startswith(RECORD_TABLES) for table in outcome.changed):
            failures.append(f"{name}: wrote {outcome.changed}")
    assert not failures, "\n".join(failures)
