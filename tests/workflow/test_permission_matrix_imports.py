"""Writes that come in bulk or from the field: a role that may not create a record type through the
API may not create it through an import (the API `/api/v1/imports/`, the page `/imports/`) nor an
ODK Collect submission (`/odk/submission`); a partner imports for its own organisation only.

Each door asks `core.policy.check_report_for(user, model, organisation)`, the very check every
create service asks (field.services.import_start before anything is kept, again when the import
is written; field.submissions.form_may_use and the services behind a submission). The rule differs
between record types only by the type's duty (the operations officer records operations'
types), so each role goes through each door with incidents and, for the imports, hazardous areas:
one type of each kind. Expectations are `allowed()` of tests/workflow/test_permission_matrix.py.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from education.models import RiskEducationSession
from field.models import FieldSubmission, RecordImport
from field.xlsforms import form_build
from hazards.models import HazardArea
from incidents.models import Incident
from tests.field.odk_helpers import basic, instance, new_instance_id, point, post_submission, submission_parts
from tests.geo import MOPTI, square
from tests.people import member
from tests.workflow.test_permission_matrix import ALL, AUTHORITY_ROLES, allowed

pytestmark = pytest.mark.django_db

FILES = {
    "incidents": (
        "incidents.csv",
        (
            "external_id,incident_date,incident_class,device_category_reported,how_activated,longitude,latitude\n"
            f"IMP-1,2024-02-03,improvised,improvised_av_mine,stepped_on,{MOPTI[0]},{MOPTI[1]}\n"
        ).encode(),
    ),
    "hazard-areas": (
        "zones.geojson",
        json.dumps(
            {"type": "FeatureCollection", "features": [{
                "type": "Feature", "geometry": json.loads(square(MOPTI, 0.01).geojson),
                "properties": {"external_id": "IMP-1", "land_class": "sha", "evidence": "indirect",
                               "survey_date": "2024-02-01", "contamination_types": ["improvised_ap_mines"]},
            }]}
        ).encode(),
    ),
}  # fmt: skip
MODELS = {"incidents": Incident, "hazard-areas": HazardArea}


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path / "imports"
    settings.FIELD_ATTACHMENT_ROOT = tmp_path / "field"


@pytest.fixture(params=sorted(ALL))
def role_user(request, django_user_model, authority, partner_a):
    role = request.param
    user = member(django_user_model, f"imp-{role}", authority if role in AUTHORITY_ROLES else partner_a, role)
    return role, user


def _written(resource: str) -> tuple[int, int]:
    return RecordImport.objects.count(), MODELS[resource].all_objects.count()


@pytest.mark.parametrize("resource", list(FILES))
def test_an_import_through_the_api(role_user, resource, partner_a):
    role, user = role_user
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    name, content = FILES[resource]
    body = {"file": SimpleUploadedFile(name, content), "record_type": resource}
    if role in AUTHORITY_ROLES:
        body["organisation"] = "HI"
    before = _written(resource)
    sent = client.post("/api/v1/imports/", body, format="multipart")
    if role in allowed("create", resource):
        assert sent.status_code == 201, sent.content
        assert (sent.json()["status"], sent.json()["to_create"], sent.json()["organisation"]) == ("checked", 1, "HI")
        confirmed = client.post(f"/api/v1/imports/{sent.json()['id']}/confirm/")
        assert confirmed.json()["status"] == "imported", confirmed.content
        made = MODELS[resource].objects.get(external_id="IMP-1")
        assert (made.organisation, made.created_by) == (partner_a, user)
    else:
        assert sent.status_code == 403, sent.content
        assert _written(resource) == before


@pytest.mark.parametrize("resource", list(FILES))
def test_an_import_through_the_page(role_user, resource, partner_a):
    role, user = role_user
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    name, content = FILES[resource]
    body = {"file": SimpleUploadedFile(name, content), "record_type": resource, "organisation": partner_a.pk}
    before = _written(resource)
    sent = client.post("/imports/", body)
    if role in allowed("create", resource):
        assert sent.status_code == 302, sent.context["form"].errors
        record_import = RecordImport.objects.get()
        assert (record_import.organisation, record_import.to_create) == (partner_a, 1)
    else:
        # The form offers only the types the role records: another is not a valid choice.
        assert sent.status_code == 400
        assert "record_type" in sent.context["form"].errors
        assert _written(resource) == before


def _session(instance_id: str) -> bytes:
    body = (
        "<session_date>2024-03-15</session_date><date_precision>day</date_precision><region/><locality/>"
        f"<location>{point(*MOPTI)}</location><method>direct</method><target_group>school</target_group>"
        "<girls>4</girls><boys>3</boys><women>1</women><men>0</men><with_disability>0</with_disability>"
        "<notes/><photo/>"
    )
    return instance("eore_session", form_build("eore_session").version, instance_id, body)


def test_a_submission_from_odk_collect(role_user):
    role, user = role_user
    # The password tests.people.member gives.
    credentials = basic(user.username, f"pw-{user.username}-42")
    instance_id = new_instance_id()
    response = post_submission(Client(), credentials, submission_parts(_session(instance_id)))
    made = RiskEducationSession.all_objects.filter(external_id=instance_id)
    if role in allowed("create", "risk-education-sessions"):
        assert response.status_code == 201, response.content
        assert (made.get().organisation, made.get().created_by, made.get().status) == (
            user.profile.organisation, user, "submitted",
        )  # fmt: skip
    else:
        assert response.status_code == 403, response.content
        assert not made.exists()
        assert not FieldSubmission.objects.exists()


# --- Another organisation ----------------------------------------------------------------------


@pytest.fixture
def partner_manager(django_user_model, partner_a):
    from accounts import roles

    return member(django_user_model, "imp-alice", partner_a, roles.PARTNER_DATA_MANAGER)


def test_a_partner_cannot_import_into_another_organisation_through_the_api(partner_manager, partner_b):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(partner_manager)
    name, content = FILES["incidents"]
    body = {"file": SimpleUploadedFile(name, content), "record_type": "incidents", "organisation": "DRC"}
    sent = client.post("/api/v1/imports/", body, format="multipart")
    assert sent.status_code == 403
    assert sent.json()["detail"] == "You report for your own organisation only."
    assert (RecordImport.objects.count(), Incident.all_objects.filter(organisation=partner_b).count()) == (0, 0)


def test_a_partner_cannot_import_into_another_organisation_through_the_page(partner_manager, partner_a, partner_b):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(partner_manager)
    name, content = FILES["incidents"]
    # The page asks a partner for no organisation: one sent anyway is not read, the import is its own.
    client.post("/imports/", {"file": SimpleUploadedFile(name, content), "record_type": "incidents",
                              "organisation": partner_b.pk})  # fmt: skip
    assert list(RecordImport.objects.values_list("organisation", flat=True)) == [partner_a.pk]
