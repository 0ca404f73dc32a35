"""Personas of the partner API: an authority officer, partner A, partner B, anonymous."""

import pytest
from rest_framework.test import APIClient

from accounts import roles
from tests.people import member


def _client(user) -> APIClient:
    # Messages are asserted in English; without the header the API answers in French.
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        from rest_framework.authtoken.models import Token

        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def officer_user(django_user_model, authority):
    return member(django_user_model, "awa", authority, roles.IM_OFFICER)


@pytest.fixture
def alice(django_user_model, partner_a):
    """Partner A's data manager."""
    return member(django_user_model, "alice", partner_a, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def bob(django_user_model, partner_a):
    """A second user of partner A."""
    return member(django_user_model, "bob", partner_a, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def charlie(django_user_model, partner_b):
    """Partner B: should have no access to partner A's drafts."""
    return member(django_user_model, "charlie", partner_b, roles.PARTNER_DATA_MANAGER)


@pytest.fixture
def api_officer(officer_user):
    return _client(officer_user)


@pytest.fixture
def api_alice(alice):
    return _client(alice)


@pytest.fixture
def api_bob(bob):
    return _client(bob)


@pytest.fixture
def api_charlie(charlie):
    return _client(charlie)


@pytest.fixture
def api_anonymous():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")
