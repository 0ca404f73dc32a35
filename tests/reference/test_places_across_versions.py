"""A boundary changes: records keep the version they were placed in, and filters and région
scoping still find them through the area's P-code."""

import datetime

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import Profile
from core import policy
from incidents.services import incident_create
from reference.models import AdministrativeArea
from reference.services import LoadResult, admin_area_upsert
from tests.api.conftest import _client
from tests.geo import MOPTI, point

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 15)


def _new_boundary_version(pcode: str) -> AdministrativeArea:
    """The same région with a slightly larger boundary, valid from today (a reform)."""
    current = AdministrativeArea.objects.get(pcode=pcode, valid_to__isnull=True)
    return admin_area_upsert(
        level=current.level, pcode=pcode, name_fr=current.name_fr, name_en=current.name_en,
        geometry=current.geometry.buffer(0.01), valid_from=datetime.date.today(), parent=current.parent,
        result=LoadResult(),
    )  # fmt: skip


@pytest.fixture
def mopti_incident(partner_a):
    return incident_create(
        user=policy.SYSTEM,
        organisation=partner_a,
        data={"incident_class": "mine", "incident_date": DAY, "location": point(MOPTI)},
    )


def test_a_record_keeps_its_version_and_is_still_found_by_p_code(mopti_incident, officer):
    placed_in = mopti_incident.admin_area
    region = placed_in.pcode if placed_in.level == 1 else placed_in.parent.pcode
    new = _new_boundary_version(region)
    mopti_incident.refresh_from_db()

    # The record keeps the version it was placed in, now closed.
    assert mopti_incident.admin_area_id == placed_in.pk
    assert placed_in.level == AdministrativeArea.Level.ADMIN1
    assert AdministrativeArea.objects.get(pk=placed_in.pk).valid_to == datetime.date.today()
    assert new.valid_to is None
    assert new.pk != placed_in.pk

    response = _client(officer).get("/api/v1/incidents/", {"admin_area": region})
    assert [r["id"] for r in response.json()["results"]] == [mopti_incident.pk]


def test_staff_limited_to_a_region_still_see_its_old_records(mopti_incident, django_user_model, authority):
    placed_in = mopti_incident.admin_area
    region = placed_in.pcode if placed_in.level == 1 else placed_in.parent.pcode
    new = _new_boundary_version(region)

    user = django_user_model.objects.create_user("regional", password="pw-regional-1")
    profile = Profile.objects.create(user=user, organisation=authority)
    # Limited to the région's new boundary version: records of the old one are still theirs.
    profile.regions.add(new)
    user.groups.add(Group.objects.get(name=roles.IM_OFFICER))

    client = _client(user)
    assert client.get(f"/api/v1/incidents/{mopti_incident.pk}/").status_code == 200
    assert policy.may_view(user, mopti_incident)
    # A new record is placed in the current version.
    later = incident_create(
        user=user, organisation=authority,
        data={"incident_class": "mine", "incident_date": DAY, "location": point(MOPTI)},
    )  # fmt: skip
    assert later.admin_area.valid_to is None
    assert sorted(r["id"] for r in client.get("/api/v1/incidents/").json()["results"]) == [mopti_incident.pk, later.pk]
