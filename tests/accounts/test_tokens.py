"""API tokens expire, are replaced when asked for again, and are revoked by their owner; no door
(API, OGC API, tiles) accepts an expired or revoked key."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import roles
from tests.people import member

pytestmark = pytest.mark.django_db

DOORS = ("/api/v1/incidents/", "/ogcapi/collections/incidents/items", "/tiles/incidents/0/0/0.pbf")


@pytest.fixture
def amadou(django_user_model, partner_a):
    return member(django_user_model, "amadou", partner_a, roles.PARTNER_DATA_MANAGER)


def _client(key: str | None = None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _obtain(amadou):
    return _client().post("/api/v1/auth/token/", {"username": "amadou", "password": "pw-amadou-42"})


def _age(token: Token, days: float) -> None:
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - datetime.timedelta(days=days))


@override_settings(API_TOKEN_DAYS=30)
def test_a_token_says_when_it_expires_and_opens_every_door_until_then(amadou):
    obtained = _obtain(amadou)
    assert obtained.status_code == 201
    body = obtained.json()
    created = datetime.datetime.fromisoformat(body["created"].replace("Z", "+00:00"))
    expires = datetime.datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    assert expires - created == datetime.timedelta(days=30)
    client = _client(body["token"])
    assert client.get("/api/v1/auth/token/").json()["expires"] == body["expires"]
    _age(Token.objects.get(user=amadou), 29.9)
    for door in DOORS:
        assert client.get(door).status_code == 200, door


@override_settings(API_TOKEN_DAYS=30)
def test_an_expired_token_opens_no_door_and_is_replaced_when_asked_for_again(amadou):
    old = _obtain(amadou).json()["token"]
    _age(Token.objects.get(user=amadou), 30.01)
    client = _client(old)
    for door in DOORS:
        response = client.get(door)
        assert response.status_code == 401, door
        assert "expired" in response.content.decode(), door
    again = _obtain(amadou)
    assert again.status_code == 201
    assert again.json()["token"] != old
    assert not Token.objects.filter(key=old).exists()
    assert _client(again.json()["token"]).get(DOORS[0]).status_code == 200


def test_a_revoked_or_deactivated_token_opens_no_door(amadou):
    key = _obtain(amadou).json()["token"]
    client = _client(key)
    assert client.delete("/api/v1/auth/token/").status_code == 204
    for door in DOORS:
        assert client.get(door).status_code == 401, door

    key = _obtain(amadou).json()["token"]
    amadou.is_active = False
    amadou.save()
    for door in DOORS:
        assert _client(key).get(door).status_code == 401, door


def test_the_token_lifetime_is_checked_at_start_up(monkeypatch):
    import subprocess
    import sys

    monkeypatch.setenv("API_TOKEN_DAYS", "0")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "mineaction.settings.test")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup()",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "API_TOKEN_DAYS must be at least 1" in run.stderr


@pytest.mark.parametrize("door", ["page", "admin", "model"])
def test_a_new_password_revokes_the_token(client, amadou, django_user_model, door):
    key = _obtain(amadou).json()["token"]
    amadou.last_login = timezone.now()
    amadou.save(update_fields=["last_login"])
    assert Token.objects.filter(key=key).exists()
    new_password = "Sahel-Mopti-2026-long"
    if door == "page":
        client.force_login(amadou)
        changed = client.post(
            "/accounts/password_change/",
            {"old_password": "pw-amadou-42", "new_password1": new_password, "new_password2": new_password},
        )
        assert changed.status_code == 302
    elif door == "admin":
        root = django_user_model.objects.create_superuser("root", password="x")
        client.force_login(root)
        changed = client.post(
            f"/admin/auth/user/{amadou.pk}/password/",
            {"password1": new_password, "password2": new_password, "usable_password": "true"},
        )
        assert changed.status_code == 302
    else:
        amadou.set_password(new_password)
        amadou.save()
    assert not Token.objects.filter(key=key).exists()
    assert _client(key).get(DOORS[0]).status_code == 401
