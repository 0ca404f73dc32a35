"""Personas of the dashboard."""

import pytest

from tests.people import member


@pytest.fixture
def awa(django_user_model, authority):
    """The authority's information management officer."""
    from accounts import roles

    return member(django_user_model, "awa", authority, roles.IM_OFFICER)


@pytest.fixture
def alice(django_user_model, partner_a):
    """Partner A's data manager."""
    from accounts import roles

    return member(django_user_model, "alice", partner_a, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def charlie(django_user_model, partner_b):
    """Partner B's data manager: should not see partner A's drafts counted."""
    from accounts import roles

    return member(django_user_model, "charlie", partner_b, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def victor(django_user_model, partner_b):
    """A viewer: aggregates only."""
    from accounts import roles

    return member(django_user_model, "victor", partner_b, roles.VIEWER)


@pytest.fixture
def fatou(django_user_model, partner_a):
    """A partner's field user: submits reports, reads no statistics."""
    from accounts import roles

    return member(django_user_model, "fatou", partner_a, roles.PARTNER_FIELD_USER)
