"""Logging in to the pages and to the admin, repeated failures, logging out, changing a password."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_lockouts_left_over():
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def test_the_dashboard_asks_for_a_login_in_french(client):
    response = client.get("/", follow=True)

    assert response.redirect_chain[0][0] == "/accounts/login/?next=/"
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert "Connexion" in html


def test_a_partner_logs_in_and_out(client, partner_user):
    response = client.post("/accounts/login/", {"username": "moussa.partner", "password": "pw-partner-1"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200

    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_says_so_on_the_form(client, partner_user):
    response = client.post("/accounts/login/", {"username": "moussa.partner", "password": "wrong"})

    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_account_even_with_the_right_password(client, partner_user):
    for _ in range(3):
        client.post("/accounts/login/", {"username": "moussa.partner", "password": "wrong"})

    locked = client.post(
        "/accounts/login/", {"username": "moussa.partner", "password": "pw-partner-1"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_one_address_trying_many_accounts_is_locked(client, partner_user):
    for name in ("a", "b", "c"):
        client.post("/accounts/login/", {"username": name, "password": "wrong"})

    locked = client.post("/accounts/login/", {"username": "moussa.partner", "password": "pw-partner-1"})

    assert locked.status_code == 429


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_admin_login_is_locked_as_well(client, officer):
    for _ in range(3):
        client.post("/admin/login/?next=/admin/", {"username": "awa.officer", "password": "wrong"})

    locked = client.post("/admin/login/?next=/admin/", {"username": "awa.officer", "password": "pw-officer-1"})

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_api_token_endpoint_answers_json_when_locked(client, partner_user):
    for _ in range(3):
        client.post("/api/v1/auth/token/", {"username": "moussa.partner", "password": "wrong"},
                    content_type="application/json")  # fmt: skip

    locked = client.post(
        "/api/v1/auth/token/", {"username": "moussa.partner", "password": "pw-partner-1"},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    assert locked.status_code == 429
    assert locked.json()["detail"].startswith("Too many failed logins")


def test_a_user_changes_the_password(client, partner_user):
    client.force_login(partner_user)

    bad = client.post("/accounts/password_change/", {"old_password": "pw-partner-1", "new_password1": "short",
                                                      "new_password2": "short"})  # fmt: skip
    good = client.post(
        "/accounts/password_change/",
        {"old_password": "pw-partner-1", "new_password1": "Tombouctou-2026!", "new_password2": "Tombouctou-2026!"},
    )

    assert bad.status_code == 200
    assert 'id="id_new_password2_error"' in bad.content.decode()
    assert good.status_code == 302
    partner_user.refresh_from_db()
    assert partner_user.check_password("Tombouctou-2026!")
