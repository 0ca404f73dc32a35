"""Personas of the dashboard."""

import pytest


def _member(django_user_model, username: str, organisation, role: str):
    from django.contrib.auth.models import Group

    from accounts.models import Profile

    user = django_user_model.objects.create_user(username, password=f"pw-{username}-42")
    Profile.objects.create(user=user, organisation=organisation)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def awa(django_user_model, authority):
    """The authority's information management officer."""
    from accounts import roles

    return _member(django_user_model, "awa", authority, roles.IM_OFFICER)


@pytest.fixture
def alice(django_user_model, partner_a):
    """Partner A's data manager."""
    from accounts import roles

    return _member(django_user_model, "alice", partner_a, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def charlie(django_user_model, partner_b):
    """Partner B's data manager: should not see partner A's drafts counted."""
    from accounts import roles

    return _member(django_user_model, "charlie", partner_b, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def victor(django_user_model, partner_b):
    """A viewer: aggregates only."""
    from accounts import roles

    return _member(django_user_model, "victor", partner_b, roles.VIEWER)


@pytest.fixture
def fatou(django_user_model, partner_a):
    """A partner's field user: submits reports, reads no statistics."""
    from accounts import roles

    return _member(django_user_model, "fatou", partner_a, roles.PARTNER_FIELD_USER)
