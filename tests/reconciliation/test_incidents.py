"""Reconciling incidents: one accident reported by several sources becomes one incident that
keeps every source and its reliability, and counts once (DOMAIN.md, Workflow)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from core.exceptions import ApplicationError
from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource
from incidents.reconciliation import incident_duplicate_candidates, incident_merge
from incidents.services import incident_create
from tests.geo import GAO, point

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 15)
# 0.005 degrees of longitude at Gao's latitude: about 534 m.
NEAR = (GAO[0] + 0.005, GAO[1])
# 0.1 degrees: about 10.7 km, beyond the 5 km of RECONCILIATION_DISTANCE_M.
FAR = (GAO[0] + 0.1, GAO[1])


def _incident(user, organisation, *, where=GAO, day=DAY, casualties=(), sources=(), **data):
    return incident_create(
        user=user,
        organisation=organisation,
        data={
            "incident_class": "improvised",
            "incident_date": day,
            "location": point(where),
            "device_category_reported": "improvised_av_mine",
            "how_activated": "stepped_on",
            **data,
        },
        casualties=casualties,
        sources=sources,
    )


def _killed_man(**extra):
    return {"outcome": "killed", "sex": "male", "age": 40, "civilian_status": "civilian", **extra}


@pytest.fixture
def reported(officer_user, partner_a, partner_b):
    """The same accident near Gao, reported by partner A (hospital source) and by partner B the
    next day, 534 m away (media source); and two other accidents too far in place or time."""
    ngo = _incident(
        officer_user,
        partner_a,
        casualties=[
            _killed_man(identity={"full_name": "Moussa Maïga"}),
            {"outcome": "injured", "sex": "female", "age": 8, "civilian_status": "civilian"},
        ],
        sources=[{"source_type": "health", "name": "CSRéf de Gao", "reliability": "confirmed"}],
    )
    other = _incident(
        officer_user,
        partner_b,
        where=NEAR,
        day=DAY + datetime.timedelta(days=1),
        device_category_reported="unspecified_mine",
        casualties=[
            _killed_man(external_id="b1"),
            {"outcome": "injured", "sex": "male", "age_group": "adult", "civilian_status": "military"},
        ],
        sources=[{"source_type": "media", "name": "Studio Tamani", "reliability": "unconfirmed"}],
    )
    far = _incident(officer_user, partner_b, where=FAR, casualties=[_killed_man()])
    late = _incident(officer_user, partner_b, day=DAY + datetime.timedelta(days=10), casualties=[_killed_man()])
    return {"ngo": ngo, "other": other, "far": far, "late": late}


# --- Candidates -----------------------------------------------------------------------------


def test_candidates_lie_within_the_window_and_the_distance(reported, officer_user):
    candidates = incident_duplicate_candidates(incident=reported["ngo"], user=officer_user)
    assert [c.pk for c in candidates] == [reported["other"].pk]
    candidate = candidates[0]
    assert candidate.distance_m == pytest.approx(534, rel=0.02)
    assert (candidate.days_apart, candidate.killed, candidate.injured) == (1, 1, 1)
    # Same casualty counts; an unspecified mine may be the improvised AP mine (half the device weight).
    assert candidate.score == pytest.approx(0.3 * (1 - 534 / 5000) + 0.2 * (1 - 1 / 4) + 0.3 + 0.2 * 0.5, abs=0.005)


def test_the_window_and_the_distance_come_from_the_settings(reported, officer_user):
    with override_settings(RECONCILIATION_DAYS=10, RECONCILIATION_DISTANCE_M=20_000):
        candidates = incident_duplicate_candidates(incident=reported["ngo"], user=officer_user)
    assert [c.pk for c in candidates] == [reported["other"].pk, reported["far"].pk, reported["late"].pk]
    assert [c.days_apart for c in candidates] == [1, 0, 10]
    with override_settings(RECONCILIATION_DISTANCE_M=500):
        assert incident_duplicate_candidates(incident=reported["ngo"], user=officer_user) == []


def test_the_closest_match_comes_first(reported, officer_user, partner_b):
    # Same place and day, same device, same casualties: a better match than partner B's report.
    twin = _incident(officer_user, partner_b, casualties=[_killed_man(), {"outcome": "injured", "sex": "female"}])
    candidates = incident_duplicate_candidates(incident=reported["ngo"], user=officer_user)
    assert [c.pk for c in candidates] == [twin.pk, reported["other"].pk]
    assert candidates[0].score == pytest.approx(1.0)


def test_candidates_are_live_and_visible_to_the_user(reported, officer_user, alice):
    # Partner B's reports are drafts: partner A does not see them, so they are no candidates for it.
    assert incident_duplicate_candidates(incident=reported["ngo"], user=alice) == []
    Incident.objects.filter(pk=reported["other"].pk).update(status="approved")
    assert [c.pk for c in incident_duplicate_candidates(incident=reported["ngo"], user=alice)] == [reported["other"].pk]
    Incident.objects.filter(pk=reported["other"].pk).update(deleted_at=datetime.datetime.now(datetime.UTC))
    assert incident_duplicate_candidates(incident=reported["ngo"], user=officer_user) == []


# --- Merging --------------------------------------------------------------------------------


def test_merging_keeps_every_source_with_its_reliability(reported, officer_user):
    keep, duplicate = reported["ngo"], reported["other"]
    version = keep.version
    merged = incident_merge(keep=keep, duplicate=duplicate, user=officer_user, reason="Même accident")

    sources = IncidentSource.objects.filter(incident=merged).order_by("id")
    assert [(s.source_type, s.name, s.reliability, s.source_reference) for s in sources] == [
        ("health", "CSRéf de Gao", "confirmed", ""),
        ("media", "Studio Tamani", "unconfirmed", ""),
        # Partner B's own report, as a source.
        ("operator", duplicate.organisation.name, "probable", duplicate.reference),
    ]
    assert sources[2].organisation == duplicate.organisation
    assert merged.version == version + 1

    gone = Incident.all_objects.get(pk=duplicate.pk)
    assert gone.deleted_at is not None
    assert gone.status_reason == f"Merged {duplicate.reference} into {keep.reference}: Même accident"


def test_a_matching_casualty_is_counted_once_and_a_different_one_kept(reported, officer_user):
    keep, duplicate = reported["ngo"], reported["other"]
    moved = Casualty.objects.get(incident=duplicate, outcome="injured")
    dropped = Casualty.objects.get(incident=duplicate, outcome="killed")
    incident_merge(keep=keep, duplicate=duplicate, user=officer_user)

    casualties = Casualty.objects.filter(incident=keep).order_by("id")
    assert [(c.outcome, c.sex, c.age, c.civilian_status) for c in casualties] == [
        ("killed", "male", 40, "civilian"),
        ("injured", "female", 8, "civilian"),
        ("injured", "male", None, "military"),
    ]
    assert casualties[2].pk == moved.pk
    assert not Casualty.objects.filter(pk=dropped.pk).exists()
    # The kept casualty keeps its identity.
    assert CasualtyIdentity.objects.get(casualty__incident=keep).full_name == "Moussa Maïga"


def test_an_identity_only_the_duplicate_knew_moves_to_the_kept_casualty(officer_user, partner_a, partner_b):
    keep = _incident(officer_user, partner_a, casualties=[_killed_man()])
    duplicate = _incident(officer_user, partner_b, casualties=[_killed_man(identity={"full_name": "Awa Touré"})])
    incident_merge(keep=keep, duplicate=duplicate, user=officer_user)
    assert Casualty.objects.filter(incident=keep).count() == 1
    assert CasualtyIdentity.objects.get().casualty.incident == keep


def test_two_names_are_two_people(officer_user, partner_a, partner_b):
    keep = _incident(officer_user, partner_a, casualties=[_killed_man(identity={"full_name": "Awa Touré"})])
    duplicate = _incident(officer_user, partner_b, casualties=[_killed_man(identity={"full_name": "Ali Diallo"})])
    incident_merge(keep=keep, duplicate=duplicate, user=officer_user)
    assert sorted(CasualtyIdentity.objects.filter(casualty__incident=keep).values_list("full_name", flat=True)) == [
        "Ali Diallo",
        "Awa Touré",
    ]


def test_merging_needs_the_authority_and_two_records(reported, officer_user, alice):
    with pytest.raises(PermissionDenied):
        incident_merge(keep=reported["ngo"], duplicate=reported["other"], user=alice)
    with pytest.raises(ApplicationError) as exc:
        incident_merge(keep=reported["ngo"], duplicate=reported["ngo"], user=officer_user)
    assert exc.value.errors == {"duplicate": ["Choose another record."]}
    incident_merge(keep=reported["ngo"], duplicate=reported["other"], user=officer_user)
    # Merged already: it no longer exists for a second merge.
    with pytest.raises(ApplicationError):
        incident_merge(keep=reported["ngo"], duplicate=reported["other"], user=officer_user)
    assert Incident.objects.filter(pk=reported["other"].pk).count() == 0


def _injured_girl(**extra):
    return {"outcome": "injured", "sex": "female", "age": 8, "civilian_status": "civilian", **extra}


def test_a_survivor_record_follows_the_casualty_counted_once(officer_user, partner_a, partner_b):
    from assistance.models import Survivor
    from assistance.services import survivor_create

    keep = _incident(officer_user, partner_a, casualties=[_injured_girl()])
    duplicate = _incident(officer_user, partner_b, casualties=[_injured_girl()])
    followed = survivor_create(
        user=officer_user, organisation=partner_b, data={"casualty": Casualty.objects.get(incident=duplicate)}
    )
    incident_merge(keep=keep, duplicate=duplicate, user=officer_user)
    assert Survivor.objects.get(pk=followed.pk).casualty == Casualty.objects.get(incident=keep)


def test_a_clashing_external_identifier_of_a_moved_casualty_is_dropped(officer_user, partner_a, partner_b):
    keep = _incident(officer_user, partner_a, casualties=[_killed_man(external_id="1")])
    duplicate = _incident(officer_user, partner_b, casualties=[_injured_girl(external_id="1")])
    incident_merge(keep=keep, duplicate=duplicate, user=officer_user)
    assert sorted(Casualty.objects.filter(incident=keep).values_list("outcome", "external_id")) == [
        ("injured", None),
        ("killed", "1"),
    ]


def test_finding_candidates_takes_three_queries_however_many(reported, officer_user, partner_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The first call caches who the user is (organisation, régions).
    incident_duplicate_candidates(incident=reported["ngo"], user=officer_user)
    with CaptureQueriesContext(connection) as one:
        assert len(incident_duplicate_candidates(incident=reported["ngo"], user=officer_user)) == 1
    for _ in range(3):
        _incident(officer_user, partner_b, casualties=[_killed_man(), _injured_girl()])
    with CaptureQueriesContext(connection) as four:
        assert len(incident_duplicate_candidates(incident=reported["ngo"], user=officer_user)) == 4
    assert len(one) == len(four) == 3
