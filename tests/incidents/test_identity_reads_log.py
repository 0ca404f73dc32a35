"""The log of who read a casualty's identity cannot be edited or deleted, by any door."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction

from incidents.models import IdentityAccessLog
from incidents.selectors import casualty_identity_get
from incidents.services import casualty_delete, incident_create
from tests.geo import MOPTI, point

pytestmark = pytest.mark.django_db


@pytest.fixture
def read(officer, partner_a, past):
    incident = incident_create(
        user=officer,
        organisation=partner_a,
        data={
            "incident_class": "improvised",
            "incident_date": past,
            "location": point(MOPTI),
            "device_category_reported": "improvised_av_mine",
            "how_activated": "vehicle",
            "activity_at_time": "travelling",
        },
        casualties=[
            {"outcome": "injured", "identity": {"full_name": "Awa Diallo", "date_of_birth": datetime.date(1990, 1, 2)}}
        ],
    )
    casualty = incident.casualties.get()
    casualty_identity_get(user=officer, casualty=casualty, channel="api")
    return IdentityAccessLog.objects.get()


@pytest.mark.parametrize(
    "change",
    [
        {"path": "/elsewhere/"},
        {"channel": "page"},
        {"accessed_at": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)},
    ],
)
def test_no_field_of_a_read_can_be_changed(read, change):
    with pytest.raises(DatabaseError, match="cannot be edited"), transaction.atomic():
        IdentityAccessLog.objects.filter(pk=read.pk).update(**change)
    assert IdentityAccessLog.objects.get(pk=read.pk).path == read.path


def test_a_read_cannot_be_deleted_through_the_orm_or_sql(read):
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic():
        IdentityAccessLog.objects.filter(pk=read.pk).delete()
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM incidents_identityaccesslog")
    assert IdentityAccessLog.objects.filter(pk=read.pk).exists()


def test_the_admin_refuses_to_change_or_delete_a_read_even_to_a_superuser(client, read, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(root)
    listing = client.get("/admin/incidents/identityaccesslog/")
    assert listing.status_code == 200
    assert str(read.casualty_id) in listing.content.decode()
    assert client.post(f"/admin/incidents/identityaccesslog/{read.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [read.pk], "post": "yes"}
    client.post("/admin/incidents/identityaccesslog/", bulk)
    change = client.post(f"/admin/incidents/identityaccesslog/{read.pk}/change/", {"path": "/x/"})
    assert change.status_code in (403, 200)
    assert IdentityAccessLog.objects.get(pk=read.pk).path == read.path


def test_a_read_outlives_the_casualty_deleted_from_its_report(client, read, officer, django_user_model):
    casualty_delete(casualty=read.casualty, user=officer)
    kept = IdentityAccessLog.objects.get(pk=read.pk)
    assert kept.casualty_id == read.casualty_id
    assert kept.user == officer
    root = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(root)
    assert str(read.casualty_id) in client.get("/admin/incidents/identityaccesslog/").content.decode()
