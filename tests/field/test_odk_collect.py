"""The OpenRosa server played as ODK Collect plays it: the Basic challenge, the form list, a form, its
manifest and media file, then multipart submissions (the instance and a photo) sent once, twice,
broken, or hostile. Records are checked in the database, the photo on disk."""

import hashlib
import threading
from urllib.parse import urlsplit

import pytest
from defusedxml.ElementTree import fromstring
from django.core.management import call_command
from django.db import connection
from django.test import Client

from community.models import CommunityReport
from core.workflow import record_transition
from education.models import RiskEducationSession
from field.models import FieldSubmission
from field.xlsforms import form_build
from hazards.models import HazardArea, LandReleaseActivity
from hazards.services import hazard_area_create
from incidents.models import Incident
from reference.models import Locality, OrdnanceType, Organisation
from reference.selectors import admin_areas_current
from tests.field.odk_helpers import (
    PHOTO,
    basic,
    instance,
    new_instance_id,
    point,
    post_submission,
    shape,
    submission_parts,
)
from tests.geo import MOPTI, square
from tests.people import member

pytestmark = pytest.mark.django_db

PARTNER = basic("moussa.partner", "pw-partner-1")
LIST = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE = "{http://openrosa.org/http/response}"


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.FIELD_ATTACHMENT_ROOT = tmp_path / "field"
    return settings.FIELD_ATTACHMENT_ROOT


def _md5(content: bytes) -> str:
    return "md5:" + hashlib.md5(content, usedforsecurity=False).hexdigest()


def _message(response) -> tuple[str, str]:
    message = fromstring(response.content).find(f"{RESPONSE}message")
    return message.get("nature") or "", message.text or ""


def _form_list(client, credentials) -> dict[str, dict[str, str]]:
    response = client.get("/odk/formList", HTTP_AUTHORIZATION=credentials, HTTP_X_OPENROSA_VERSION="1.0")
    assert response.status_code == 200
    assert response["X-OpenRosa-Version"] == "1.0"
    return {
        form.find(f"{LIST}formID").text: {child.tag.removeprefix(LIST): child.text for child in form}
        for form in fromstring(response.content).iter(f"{LIST}xform")
    }


def _accident(version: str, instance_id: str, **answers) -> bytes:
    mopti = Locality.objects.get(name="Mopti")
    model = OrdnanceType.objects.get(model="Improvised pressure-plate AV mine")
    unmas = Organisation.objects.get(acronym="UNMAS")
    values = {
        "incident_date": "2024-03-15", "date_precision": "day", "incident_time": "14:30:00.000+00:00",
        "incident_class": "improvised", "region": "", "locality": str(mopti.pk), "location": point(*MOPTI),
        "device_category_reported": "improvised_av_mine", "ordnance_type": str(model.pk), "activation": "victim",
        "how_activated": "stepped_on", "person_activated": "yes", "anti_handling_device": "unknown",
        "moved_or_tampered": "no", "activity_at_time": "herding", "description": "Berger blessé près du puits",
        "age1": "12", **answers,
    }  # fmt: skip
    fields = [
        "incident_date", "date_precision", "incident_time", "incident_class", "region", "locality", "location",
        "device_category_reported", "ordnance_type", "activation", "how_activated", "person_activated",
        "anti_handling_device", "moved_or_tampered", "activity_at_time", "description",
    ]  # fmt: skip
    body = "".join(f"<{name}>{values[name]}</{name}>" for name in fields)
    body += (
        f"<source><source_type>un</source_type><source_organisation>{unmas.pk}</source_organisation>"
        "<source_name>OCHA Mopti</source_name><source_reliability>confirmed</source_reliability></source>"
        "<casualties><casualty_outcome>killed</casualty_outcome><casualty_sex>female</casualty_sex>"
        f"<casualty_age>{values['age1']}</casualty_age><casualty_civilian_status>civilian</casualty_civilian_status>"
        "<casualty_injuries>lower_limb_amputation burns</casualty_injuries>"
        "<casualty_injury_description/></casualties>"
        "<casualties><casualty_outcome>injured</casualty_outcome><casualty_sex>male</casualty_sex>"
        "<casualty_age>34</casualty_age><casualty_civilian_status>military</casualty_civilian_status>"
        "<casualty_injuries/><casualty_injury_description>Éclats</casualty_injury_description></casualties>"
        "<photo>1700000000000.jpg</photo>"
    )
    return instance("accident_report", version, instance_id, body)


def test_collect_is_challenged_then_fetches_its_forms_their_manifests_and_media(client, partner_user):
    first = client.get("/odk/formList", HTTP_X_OPENROSA_VERSION="1.0")
    assert first.status_code == 401
    assert first["WWW-Authenticate"] == 'Basic realm="Mine Action IMS", charset="UTF-8"'
    assert first["X-OpenRosa-Version"] == "1.0"

    forms = _form_list(client, PARTNER)
    assert sorted(forms) == ["accident_report", "community_report", "eore_session", "nts_spot_task"]
    accident = forms["accident_report"]
    built = form_build("accident_report")
    assert (accident["name"], accident["version"], accident["hash"]) == (built.title, built.version, built.hash)

    download = client.get(urlsplit(accident["downloadUrl"]).path, HTTP_AUTHORIZATION=PARTNER)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/xml")
    assert _md5(download.content) == accident["hash"]
    root = fromstring(download.content)
    data = root.find(".//{http://www.w3.org/2002/xforms}accident_report")
    assert (data.get("id"), data.get("version")) == ("accident_report", accident["version"])

    manifest = client.get(urlsplit(accident["manifestUrl"]).path, HTTP_AUTHORIZATION=PARTNER)
    assert manifest.status_code == 200
    assert manifest["X-OpenRosa-Version"] == "1.0"
    files = [
        {child.tag.removeprefix(MANIFEST): child.text for child in media}
        for media in fromstring(manifest.content).iter(f"{MANIFEST}mediaFile")
    ]
    assert [f["filename"] for f in files] == ["localities.csv"]
    media = client.get(urlsplit(files[0]["downloadUrl"]).path, HTTP_AUTHORIZATION=PARTNER)
    assert media.status_code == 200
    assert _md5(media.content) == files[0]["hash"]
    assert f"{Locality.objects.get(name='Mopti').pk},Mopti," in media.content.decode()

    # The XLSForm itself, for a KoboToolbox deployment of the same form.
    xlsx = client.get("/odk/forms/accident_report/form.xlsx", HTTP_AUTHORIZATION=PARTNER)
    assert (xlsx.status_code, xlsx.content[:2]) == (200, b"PK")
    assert client.get("/odk/forms/no_such_form/form.xml", HTTP_AUTHORIZATION=PARTNER).status_code == 404


def test_a_wrong_password_is_challenged_again(client, partner_user):
    response = client.get("/odk/formList", HTTP_AUTHORIZATION=basic("moussa.partner", "wrong"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_a_role_that_reports_nothing_sees_no_form_and_may_not_submit(client, django_user_model, authority):
    member(django_user_model, "ines.viewer", authority, "viewer")
    viewer = basic("ines.viewer", "pw-ines.viewer-42")
    assert _form_list(client, viewer) == {}
    assert client.get("/odk/forms/accident_report/form.xml", HTTP_AUTHORIZATION=viewer).status_code == 403
    xml = _accident(form_build("accident_report").version, new_instance_id())
    response = post_submission(client, viewer, submission_parts(xml))
    assert response.status_code == 403
    assert FieldSubmission.objects.count() == 0
    assert Incident.all_objects.count() == 0


def test_a_submission_becomes_one_submitted_incident_with_its_casualties_sent_twice(
    client, partner_user, partner_a, attachment_root
):
    assert client.head("/odk/submission").status_code == 401
    head = client.head("/odk/submission", HTTP_AUTHORIZATION=PARTNER)
    assert head.status_code == 204
    assert head["X-OpenRosa-Accept-Content-Length"] == "10000000"
    assert head["X-OpenRosa-Version"] == "1.0"
    assert head["Date"]

    instance_id = new_instance_id()
    xml = _accident(form_build("accident_report").version, instance_id)
    first = post_submission(client, PARTNER, submission_parts(xml, "1700000000000.jpg"))
    assert first.status_code == 201, first.content
    assert first["X-OpenRosa-Version"] == "1.0"
    assert first["X-OpenRosa-Accept-Content-Length"] == "10000000"
    assert _message(first)[0] == "submit_success"
    again = post_submission(client, PARTNER, submission_parts(xml, "1700000000000.jpg"))
    assert again.status_code == 202
    assert _message(again) == ("submit_success", "This form was already received.")

    incident = Incident.all_objects.get()
    mopti = Locality.objects.get(name="Mopti")
    assert (incident.status, incident.organisation, incident.created_by, incident.external_id) == (
        "submitted", partner_a, partner_user, instance_id,
    )  # fmt: skip
    assert (str(incident.incident_date), str(incident.incident_time), incident.date_precision) == (
        "2024-03-15", "14:30:00", "day",
    )  # fmt: skip
    assert (incident.incident_class, incident.locality, incident.ordnance_type.model) == (
        "improvised", mopti, "Improvised pressure-plate AV mine",
    )  # fmt: skip
    assert incident.location.coords == pytest.approx(MOPTI)
    assert incident.admin_area == admin_areas_current().get(level=1, name_fr="Mopti")
    # The Mali rule ran: the reporter's improvised AV mine set off by a person counts as an AP mine.
    assert (incident.device_category_reported, incident.device_category) == ("improvised_av_mine", "improvised_ap_mine")
    assert (incident.person_activated, incident.anti_handling_device, incident.moved_or_tampered) == (True, None, False)
    assert (incident.how_activated, incident.activity_at_time, incident.activation) == (
        "stepped_on", "herding", "victim",
    )  # fmt: skip
    assert incident.description == "Berger blessé près du puits"
    casualties = sorted(
        incident.casualties.values_list("outcome", "sex", "age", "age_group", "civilian_status", "injuries",
                                        "injury_description")
    )  # fmt: skip
    assert casualties == [
        ("injured", "male", 34, "adult", "military", [], "Éclats"),
        ("killed", "female", 12, "child", "civilian", ["lower_limb_amputation", "burns"], ""),
    ]
    assert list(incident.sources.values_list("source_type", "organisation__acronym", "name", "reliability")) == [
        ("un", "UNMAS", "OCHA Mopti", "confirmed")
    ]

    submission = FieldSubmission.objects.get()
    assert (submission.source, submission.form_id, submission.instance_id, submission.status) == (
        "odk", "accident_report", instance_id, "accepted",
    )  # fmt: skip
    assert (submission.record_type, submission.record_id, submission.user, submission.organisation) == (
        "incidents", incident.pk, partner_user, partner_a,
    )  # fmt: skip
    assert (submission.form_version, submission.errors) == (form_build("accident_report").version, {})
    assert submission.payload == xml.decode()
    assert [c["casualty_age"] for c in submission.data["casualties"]] == ["12", "34"]
    assert submission.attachments == ["1700000000000.jpg"]
    assert (attachment_root / str(submission.pk) / "1700000000000.jpg").read_bytes() == PHOTO


def test_a_large_submission_sent_in_parts_keeps_every_photo_and_one_record(client, partner_user, attachment_root):
    """Collect splits a submission heavier than X-OpenRosa-Accept-Content-Length: each request has
    the instance and some of the files."""
    xml = _accident(form_build("accident_report").version, new_instance_id())
    assert post_submission(client, PARTNER, submission_parts(xml, "1700000000000.jpg")).status_code == 201
    assert post_submission(client, PARTNER, submission_parts(xml, "1700000000001.jpg")).status_code == 202
    submission = FieldSubmission.objects.get()
    assert submission.attachments == ["1700000000000.jpg", "1700000000001.jpg"]
    assert sorted(p.name for p in (attachment_root / str(submission.pk)).iterdir()) == submission.attachments
    assert Incident.all_objects.count() == 1


def test_nobody_else_slips_files_into_a_kept_submission(client, partner_user, django_user_model, partner_a,
                                                        attachment_root):  # fmt: skip
    from accounts import roles

    xml = _accident(form_build("accident_report").version, new_instance_id())
    assert post_submission(client, PARTNER, submission_parts(xml, "1700000000000.jpg")).status_code == 201
    other = member(django_user_model, "issa.hi", partner_a, roles.PARTNER_DATA_MANAGER)
    other.set_password("Autre-Mot-2024!")
    other.save()
    # The same instance id, another sender: acknowledged, and nothing of it kept.
    answer = post_submission(client, basic("issa.hi", "Autre-Mot-2024!"), submission_parts(xml, "1700000000009.jpg"))
    assert answer.status_code == 202
    submission = FieldSubmission.objects.get()
    assert submission.attachments == ["1700000000000.jpg"]
    assert sorted(p.name for p in (attachment_root / str(submission.pk)).iterdir()) == ["1700000000000.jpg"]


def test_a_submission_breaking_rules_is_kept_with_every_error_and_makes_no_record(client, partner_user):
    instance_id = new_instance_id()
    xml = _accident(
        form_build("accident_report").version, instance_id, incident_date="2999-01-01", age1="130",
        location="somewhere near the well",
    )  # fmt: skip
    response = post_submission(client, PARTNER, submission_parts(xml, "1700000000000.jpg"))
    # A success for Collect, which must not send it forever; the message says it waits for review.
    assert response.status_code == 202
    nature, text = _message(response)
    assert nature == "submit_success"
    assert "kept for review" in text

    submission = FieldSubmission.objects.get()
    assert (submission.status, submission.record_id, submission.instance_id) == ("rejected", None, instance_id)
    assert submission.errors == {
        "location": ["“somewhere near the well” is not a point: send “latitude longitude altitude accuracy”."],
        "incident_date": ["The date cannot be in the future."],
        "casualties[0].age": ["An age lies between 0 and 120 years."],
    }
    assert submission.attachments == ["1700000000000.jpg"]
    assert Incident.all_objects.count() == 0

    assert post_submission(client, PARTNER, submission_parts(xml)).status_code == 202
    assert FieldSubmission.objects.count() == 1


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<accident_report id="accident_report"><description>&lol3;</description>'
    b"<meta><instanceID>uuid:lol</instanceID></meta></accident_report>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<accident_report id="accident_report"><description>&xxe;</description>'
    b"<meta><instanceID>uuid:xxe</instanceID></meta></accident_report>"
)


@pytest.mark.parametrize(
    ("case", "status", "says"),
    [
        ("malformed", 400, "not well-formed"),
        ("billion laughs", 400, "DTD"),
        ("external entity", 400, "DTD"),
        ("no instance part", 400, "xml_submission_file"),
        ("no instance id", 400, "instanceID"),
        ("unknown form", 404, "no_such_form"),
        ("wrong password", 401, "password"),
        ("not multipart", 400, "multipart/form-data"),
    ],
)
def test_bad_submissions_get_their_4xx_and_store_nothing(client, partner_user, case, status, says):
    version = form_build("accident_report").version
    xml = _accident(version, new_instance_id())
    credentials = PARTNER
    parts = submission_parts(xml, "1700000000000.jpg")
    if case == "malformed":
        parts = submission_parts(xml[:-40])
    elif case == "billion laughs":
        parts = submission_parts(BILLION_LAUGHS)
    elif case == "external entity":
        parts = submission_parts(EXTERNAL_ENTITY)
    elif case == "no instance part":
        parts = parts[1:]
    elif case == "no instance id":
        parts = submission_parts(
            xml.replace(b"<instanceID>", b"<instanceName>").replace(b"</instanceID>", b"</instanceName>")
        )
    elif case == "unknown form":
        parts = submission_parts(instance("no_such_form", "1", new_instance_id(), "<x>1</x>"))
    elif case == "wrong password":
        credentials = basic("moussa.partner", "pw-partner-2")
    if case == "not multipart":
        response = client.generic("POST", "/odk/submission", xml, content_type="text/xml", HTTP_AUTHORIZATION=PARTNER)
    else:
        response = post_submission(client, credentials, parts)
    assert response.status_code == status
    assert response["X-OpenRosa-Version"] == "1.0"
    assert says in _message(response)[1]
    assert FieldSubmission.objects.count() == 0
    assert Incident.all_objects.count() == 0


def test_a_submission_announced_larger_than_accepted_is_refused_before_it_is_read(client, partner_user):
    xml = _accident(form_build("accident_report").version, new_instance_id())
    response = post_submission(client, PARTNER, submission_parts(xml), CONTENT_LENGTH="10000001")
    assert response.status_code == 413
    assert FieldSubmission.objects.count() == 0


def test_a_risk_education_session_from_collect(client, partner_user, partner_a):
    instance_id = new_instance_id()
    body = (
        "<session_date>2024-03-15</session_date><date_precision>day</date_precision><region/><locality/>"
        f"<location>{point(*MOPTI)}</location><method>direct</method><target_group>school</target_group>"
        "<girls>41</girls><boys>38</boys><women>12</women><men>9</men><with_disability>3</with_disability>"
        "<notes>École de Sévaré</notes><photo/>"
    )
    xml = instance("eore_session", form_build("eore_session").version, instance_id, body)
    assert post_submission(client, PARTNER, submission_parts(xml)).status_code == 201
    session = RiskEducationSession.all_objects.get(external_id=instance_id)
    assert (session.status, session.organisation, session.method, session.target_group) == (
        "submitted", partner_a, "direct", "school",
    )  # fmt: skip
    assert (session.girls, session.boys, session.women, session.men, session.with_disability) == (41, 38, 12, 9, 3)
    assert session.admin_area == admin_areas_current().get(level=1, name_fr="Mopti")


def test_a_community_report_of_an_area_from_collect_keeps_its_shape_as_a_polygon(client, partner_user):
    instance_id = new_instance_id()
    area = square(MOPTI, 0.01)
    body = (
        "<report_date>2024-03-15</report_date><date_precision>day</date_precision><subject>area</subject>"
        f"<region/><locality/><location>{point(*MOPTI)}</location>"
        f"<suspected_area>{shape(list(area.exterior_ring.coords))}</suspected_area>"
        "<item_category/><item_person_sensitive/><item_count/><reporter_name>Chef de village</reporter_name>"
        "<description>Champ abandonné depuis 2019</description><photo/>"
    )
    xml = instance("community_report", form_build("community_report").version, instance_id, body)
    assert post_submission(client, PARTNER, submission_parts(xml)).status_code == 201
    report = CommunityReport.all_objects.get(external_id=instance_id)
    assert (report.status, report.subject, report.reporter_name) == ("submitted", "area", "Chef de village")
    assert report.suspected_area.geom_type == "MultiPolygon"
    assert report.suspected_area[0].equals_exact(area, tolerance=1e-9)


def test_an_eod_spot_task_with_items_found_from_a_field_user(client, django_user_model, partner_a):
    member(django_user_model, "fanta.field", partner_a, "partner_field_user")
    instance_id = new_instance_id()
    mortar = OrdnanceType.objects.get(model="Mortar bomb 82 mm")
    body = (
        "<kind>eod_spot_task</kind><report_type>completion</report_type><start_date>2024-03-15</start_date>"
        "<date_precision>day</date_precision><end_date>2024-03-16</end_date><region/>"
        f"<location>{point(*MOPTI)}</location>"
        f"<items><item_category>uxo</item_category><item_ordnance_type>{mortar.pk}</item_ordnance_type>"
        "<item_person_sensitive/><item_quantity>3</item_quantity><item_condition>armed</item_condition>"
        "<item_depth_cm>20</item_depth_cm><item_destroyed>yes</item_destroyed></items>"
        "<items><item_category>axo</item_category><item_ordnance_type/><item_person_sensitive/>"
        "<item_quantity>120</item_quantity><item_condition>unknown</item_condition><item_depth_cm/>"
        "<item_destroyed>no</item_destroyed></items><notes/><photo/>"
    )
    xml = instance("nts_spot_task", form_build("nts_spot_task").version, instance_id, body)
    response = post_submission(client, basic("fanta.field", "pw-fanta.field-42"), submission_parts(xml))
    assert response.status_code == 201, _message(response)
    task = LandReleaseActivity.all_objects.get(external_id=instance_id)
    assert (task.kind, task.report_type, task.status, task.hazard_area, task.organisation) == (
        "eod_spot_task", "completion", "submitted", None, partner_a,
    )  # fmt: skip
    assert sorted(task.items_found.values_list("category", "ordnance_type", "quantity", "condition", "depth_cm",
                                               "destroyed")) == [
        ("axo", None, 120, "unknown", None, False),
        ("uxo", mortar.pk, 3, "armed", 20, True),
    ]  # fmt: skip


def test_a_non_technical_survey_cancels_the_shape_drawn_inside_its_hazardous_area(
    client, partner_user, officer, authority, past
):
    hazard = hazard_area_create(
        user=officer, organisation=authority,
        data={"land_class": "sha", "geometry": square(MOPTI, 0.02), "evidence": "indirect", "survey_date": past},
    )  # fmt: skip
    hazard = record_transition(record=hazard, user=officer, action="submit")
    record_transition(record=hazard, user=officer, action="approve", version=hazard.version)
    # The approved hazard is offered in hazards.csv.
    assert f"{hazard.pk},{hazard.reference}" in form_build("nts_spot_task").media["hazards.csv"].decode()

    instance_id = new_instance_id()
    cancelled = square(MOPTI, 0.01)
    body = (
        "<kind>nts</kind><report_type>cancellation</report_type><start_date>2024-03-15</start_date>"
        f"<date_precision>day</date_precision><end_date/><region/><hazard_area>{hazard.pk}</hazard_area>"
        f"<location/><cancelled_geometry>{shape(list(cancelled.exterior_ring.coords))}</cancelled_geometry>"
        "<notes>Aucune preuve trouvée</notes><photo/>"
    )
    xml = instance("nts_spot_task", form_build("nts_spot_task").version, instance_id, body)
    response = post_submission(client, PARTNER, submission_parts(xml))
    assert response.status_code == 201, _message(response)
    survey = LandReleaseActivity.all_objects.get(external_id=instance_id)
    assert (survey.kind, survey.hazard_area_id, survey.status) == ("nts", hazard.pk, "submitted")
    # The area comes from the polygon (about 1.1 km × 1.1 km near Mopti), never typed.
    assert 1_150_000 < survey.area_cancelled_m2 < 1_250_000
    assert HazardArea.objects.get(pk=hazard.pk).area_cancelled_m2 == 0  # counted once approved


@pytest.mark.django_db(transaction=True)
def test_the_same_instance_sent_twice_at_once_is_kept_once():
    """Two requests race on the unique instance id: one makes the record, the other finds it."""
    call_command("load_reference_data", verbosity=0)
    from django.contrib.auth import get_user_model

    member(get_user_model(), "fanta.field", Organisation.objects.get(acronym="HI"), "partner_field_user")
    credentials = basic("fanta.field", "pw-fanta.field-42")
    xml = _accident(form_build("accident_report").version, new_instance_id())
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def send():
        try:
            barrier.wait()
            statuses.append(post_submission(Client(), credentials, submission_parts(xml)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201, 202]
    assert FieldSubmission.objects.count() == 1
    assert Incident.all_objects.count() == 1


def test_the_admin_lists_submissions_kept_with_errors_read_only(client, partner_user, admin_client):
    good = _accident(form_build("accident_report").version, new_instance_id())
    bad = _accident(form_build("accident_report").version, new_instance_id(), age1="130")
    post_submission(client, PARTNER, submission_parts(good))
    post_submission(client, PARTNER, submission_parts(bad))
    kept = FieldSubmission.objects.get(status="rejected")

    listed = admin_client.get("/admin/field/fieldsubmission/", {"status__exact": "rejected"})
    assert listed.status_code == 200
    assert [s.pk for s in listed.context["cl"].result_list] == [kept.pk]
    page = admin_client.get(f"/admin/field/fieldsubmission/{kept.pk}/change/")
    assert page.status_code == 200
    assert "An age lies between 0 and 120 years." in page.content.decode()
    # Read only: a post changes nothing.
    assert (
        admin_client.post(f"/admin/field/fieldsubmission/{kept.pk}/change/", {"status": "accepted"}).status_code == 403
    )
    assert FieldSubmission.objects.get(pk=kept.pk).status == "rejected"


def test_a_data_manager_reads_its_own_organisations_submissions_kept_with_errors(
    client, partner_user, django_user_model, partner_b, officer
):
    from accounts import roles
    from field.models import FieldSubmission as Submission

    bad = _accident(form_build("accident_report").version, new_instance_id(), age1="130")
    post_submission(client, PARTNER, submission_parts(bad))
    ours = Submission.objects.get()
    charlie = member(django_user_model, "charlie.drc", partner_b, roles.PARTNER_DATA_MANAGER)
    theirs = Submission.objects.create(source="odk", instance_id="uuid:drc-1", form_id="accident_report",
                                       organisation=partner_b, payload="<x/>", status="rejected",
                                       errors={"location": ["Give the location."]})  # fmt: skip
    for user, expected in ((partner_user, [ours.pk]), (charlie, [theirs.pk]), (officer, [theirs.pk, ours.pk])):
        user.is_staff = True
        user.save()
        client.force_login(user)
        listed = client.get("/admin/field/fieldsubmission/", {"status__exact": "rejected"})
        assert listed.status_code == 200, user
        assert sorted(s.pk for s in listed.context["cl"].result_list) == sorted(expected)
    client.force_login(charlie)
    # Another organisation's submission is not there for him.
    assert client.get(f"/admin/field/fieldsubmission/{ours.pk}/change/").status_code == 302
