"""Request limits: each account at the default rate, unless the authority gave its organisation a
limit of its own (accounts.models.ApiQuota), shared by all the organisation's accounts and set in
the admin by the authority administrator."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import UserRateThrottle

from accounts import roles
from accounts.models import ApiQuota
from tests.people import member

pytestmark = pytest.mark.django_db

URL = "/api/v1/organisations/"


@pytest.fixture
def default_rate(monkeypatch):
    """A default small enough to reach in a test (the setting API_THROTTLE_USER)."""
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"})


def _codes(client, times: int) -> list[int]:
    return [client.get(URL).status_code for _ in range(times)]


def test_without_a_limit_of_its_own_each_account_counts_alone(default_rate, api_alice, api_bob):
    assert _codes(api_alice, 3) == [200, 200, 429]
    # Bob works for the same organisation: his requests are his own.
    assert _codes(api_bob, 3) == [200, 200, 429]


def test_an_organisation_limit_is_shared_by_its_accounts(default_rate, partner_a, api_alice, api_bob, api_charlie):
    ApiQuota.objects.create(organisation=partner_a, rate="5/minute", reason="Import national 2024")
    # Above the default of each account, for all of them together.
    assert _codes(api_alice, 3) + _codes(api_bob, 2) == [200] * 5
    refused = api_bob.get(URL)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert api_alice.get(URL).status_code == 429
    # Another organisation keeps the default.
    assert _codes(api_charlie, 3) == [200, 200, 429]


def test_a_changed_limit_applies_from_the_next_request(default_rate, partner_a, api_alice):
    quota = ApiQuota.objects.create(organisation=partner_a, rate="3/minute")
    assert _codes(api_alice, 4) == [200, 200, 200, 429]
    quota.rate = "10/minute"
    quota.save()
    assert _codes(api_alice, 2) == [200, 200]
    quota.delete()
    # Back to her own count at the default: the organisation's requests were not hers.
    assert _codes(api_alice, 3) == [200, 200, 429]


def test_the_limit_is_read_from_the_cache_not_on_every_request(partner_a, api_alice):
    ApiQuota.objects.create(organisation=partner_a, rate="20000/hour")
    assert api_alice.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api_alice.get(URL).status_code == 200
    assert not [q for q in queries if "accounts_apiquota" in q["sql"]]


@pytest.mark.parametrize("rate", ["20000/hour", "1/s", "500/minute", "100000/day"])
def test_rates_in_rest_framework_form_are_accepted(partner_a, rate):
    ApiQuota(organisation=partner_a, rate=rate).full_clean()


@pytest.mark.parametrize("rate", ["20000", "20000/fortnight", "0/hour", "-5/hour", "lots/day", "20 000/hour"])
def test_other_rates_are_refused(partner_a, rate):
    with pytest.raises(ValidationError) as refused:
        ApiQuota(organisation=partner_a, rate=rate).full_clean()
    assert refused.value.message_dict == {
        "rate": ["Write a number of requests per second, minute, hour or day, such as 20000/hour."]
    }


def test_the_authority_administrator_sets_limits_in_the_admin(client, django_user_model, authority, partner_a):
    administrator = member(django_user_model, "adama", authority, roles.AUTHORITY_ADMINISTRATOR)
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    form = {"organisation": partner_a.pk, "rate": "20000/hour", "reason": "Import de la base de HI"}
    wrong = client.post("/admin/accounts/apiquota/add/", {**form, "rate": "beaucoup"}, HTTP_ACCEPT_LANGUAGE="en")
    assert wrong.status_code == 200
    assert "Write a number of requests per second, minute, hour or day" in wrong.content.decode()
    assert client.post("/admin/accounts/apiquota/add/", form).status_code == 302
    assert ApiQuota.objects.get(organisation=partner_a).rate == "20000/hour"


def test_partners_do_not_set_limits(client, partner_user):
    client.force_login(partner_user)
    assert client.get("/admin/accounts/apiquota/").status_code == 403
    assert client.get("/admin/accounts/apiquota/add/").status_code == 403
