"""An optional second factor (TOTP) for the authority's staff: set up on a page, then asked for by
every door that takes the password (login page, admin, API token); ODK's basic authentication,
which cannot carry a code, refuses the account."""

import base64
import re

import pytest
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

OFFICER = {"username": "awa.officer", "password": "pw-officer-1"}


@pytest.fixture(autouse=True)
def no_lockouts_left_over():
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


@pytest.fixture(autouse=True)
def in_english(client):
    # Messages are compared in English; pages answer in French without the header.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _code(device: TOTPDevice, *, fresh: bool = True) -> str:
    if fresh:
        # django-otp accepts each time step once and waits longer after each wrong code; a test
        # trying again within those seconds starts afresh.
        TOTPDevice.objects.filter(pk=device.pk).update(
            last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
        )
        device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


@pytest.fixture
def protected(officer):
    return TOTPDevice.objects.create(user=officer, name="authenticator", confirmed=True)


def test_an_officer_sets_up_a_second_factor_on_a_page(client, officer):
    client.force_login(officer)
    page = client.get("/accounts/second-factor/")
    assert page.status_code == 200
    assert 'value="start"' in page.content.decode()

    started = client.post("/accounts/second-factor/", {"action": "start"}).content.decode()
    assert "<svg" in started
    secret = re.search(r'class="secret">([A-Z2-7=]+)<', started).group(1)
    device = TOTPDevice.objects.get(user=officer)
    assert base64.b32decode(secret) == device.bin_key
    assert not device.confirmed

    wrong = client.post("/accounts/second-factor/", {"action": "confirm", "otp_token": "000000"})
    assert wrong.status_code == 400
    assert "Wrong or expired code." in wrong.content.decode()
    assert not TOTPDevice.objects.get(user=officer).confirmed

    confirmed = client.post("/accounts/second-factor/", {"action": "confirm", "otp_token": _code(device)})
    assert confirmed.status_code == 302
    assert TOTPDevice.objects.get(user=officer).confirmed


def test_removing_it_takes_a_current_code(client, officer, protected):
    client.force_login(officer)
    refused = client.post("/accounts/second-factor/", {"action": "remove", "otp_token": "123"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=officer).exists()
    assert (
        client.post("/accounts/second-factor/", {"action": "remove", "otp_token": _code(protected)}).status_code == 302
    )
    assert not TOTPDevice.objects.filter(user=officer).exists()


def test_a_partner_is_not_offered_one(client, partner_user):
    client.force_login(partner_user)
    assert client.get("/accounts/second-factor/").status_code == 403
    assert client.post("/accounts/second-factor/", {"action": "start"}).status_code == 403
    assert not TOTPDevice.objects.exists()
    assert "/accounts/second-factor/" not in client.get("/").content.decode()


@pytest.mark.parametrize("door", ["/accounts/login/", "/admin/login/?next=/admin/"])
def test_the_login_pages_ask_for_the_code(client, officer, protected, door):
    without = client.post(door, OFFICER)
    assert without.status_code == 200
    assert "Give the code of your authenticator app." in without.content.decode()
    assert "_auth_user_id" not in client.session

    wrong = client.post(door, {**OFFICER, "otp_token": "999999"})
    assert "Wrong or expired code." in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    right = client.post(door, {**OFFICER, "otp_token": _code(protected)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)


def test_without_a_second_factor_the_password_is_enough(client, officer):
    assert client.post("/accounts/login/", OFFICER).status_code == 302


def test_the_api_token_asks_for_the_code(officer, protected):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    without = api.post("/api/v1/auth/token/", OFFICER)
    assert without.status_code == 401
    assert without.json() == {"detail": "Give the code of your authenticator app."}
    assert api.post("/api/v1/auth/token/", {**OFFICER, "otp_token": "999999"}).status_code == 401
    assert api.post("/api/v1/auth/token/", {**OFFICER, "otp_token": _code(protected)}).status_code == 201


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_codes_lock_the_account_like_wrong_passwords(client, officer, protected):
    for _ in range(3):
        client.post("/accounts/login/", {**OFFICER, "otp_token": "000001"})
    locked = client.post("/accounts/login/", {**OFFICER, "otp_token": _code(protected)})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_odk_collect_cannot_log_in_an_account_with_a_second_factor(client, officer, protected):
    credentials = "Basic " + base64.b64encode(b"awa.officer:pw-officer-1").decode()
    response = client.get("/odk/formList", HTTP_AUTHORIZATION=credentials, HTTP_X_OPENROSA_VERSION="1.0")
    assert response.status_code == 401
    TOTPDevice.objects.all().delete()
    response = client.get("/odk/formList", HTTP_AUTHORIZATION=credentials, HTTP_X_OPENROSA_VERSION="1.0")
    assert response.status_code != 401
