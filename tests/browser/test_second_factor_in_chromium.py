"""An officer sets up the second factor in Chromium, as on a desk in Bamako: the QR code drawn, the
code from the app typed in, then a login that asks for it."""

import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(django_db_setup, django_user_model):
    from django.core.management import call_command

    from accounts import roles
    from reference.models import Organisation
    from tests.people import member

    call_command("load_reference_data", verbosity=0)
    return member(django_user_model, "awa", Organisation.objects.get(acronym="CNLPAL"), roles.IM_OFFICER)


def _code(secret: str, *, step: int = 0) -> str:
    return f"{totp(base64.b32decode(secret), t0=-30 * step):06d}"


def test_an_officer_sets_up_the_second_factor_and_logs_in_with_it(page, live_server, officer, screenshot):
    errors = []
    # A refused code answers 400, which Chromium logs too: scripts' errors and the policy's refusals count.
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: "Content Security Policy" in message.text and errors.append(message.text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "awa")
    page.fill("#id_password", "pw-awa-42")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("text=Second facteur")
    page.click("text=Configurer un second facteur")
    qr = page.locator(".qr svg")
    assert qr.is_visible()
    assert qr.bounding_box()["width"] > 100
    secret = page.locator("code.secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    screenshot("second-factor-setup")

    page.fill("#id_otp_token", "000000")
    page.click("main button[type=submit]")
    assert page.locator(".has-error").inner_text().strip().endswith("Code erroné ou expiré.")
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    page.fill("#id_otp_token", _code(secret))
    page.click("main button[type=submit]")
    assert "Votre second facteur est configuré" in page.locator(".messages").inner_text()
    assert TOTPDevice.objects.get(user=officer).confirmed

    page.click("text=Déconnexion")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "awa")
    page.fill("#id_password", "pw-awa-42")
    page.click("main button[type=submit]")
    assert "Donnez le code de votre application" in page.locator(".has-error").inner_text()
    screenshot("second-factor-login-asks-the-code")
    page.fill("#id_password", "pw-awa-42")
    # The next time step: the code used to confirm is not accepted twice.
    page.fill("#id_otp_token", _code(secret, step=1))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert errors == []
