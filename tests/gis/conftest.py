import pytest

from accounts import roles
from tests.people import member


@pytest.fixture
def charlie(django_user_model, partner_b):
    """Partner B's data manager: should have no access to partner A's drafts."""
    return member(django_user_model, "charlie.partner", partner_b, roles.PARTNER_DATA_MANAGER)
