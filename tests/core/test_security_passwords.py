"""Every door that sets a password refuses a weak one: the admin's new user and password change forms,
the password change page, and `ensure_superuser` (the first administrator of `make run`); the
password `scripts/setup.sh` generates for that administrator passes the same rules."""

import contextlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

ROOT = Path(settings.BASE_DIR)
STRONG = "Tombouctou-2026!"
# Each weak for one reason: 11 characters, common, digits only, like the user's name.
WEAK = {
    "short": "Gao-2024!xy",
    "common": "password1234",
    "numeric": "482915736105",
    "similar": "awa.officer2",
}


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("chef", "chef@example.org", STRONG)


def test_the_rules_are_twelve_characters_not_common_not_numeric_not_like_the_user():
    from django.contrib.auth.models import User

    user = User(username="awa.officer", email="awa@example.org")
    refused = {}
    for reason, password in WEAK.items():
        with pytest.raises(ValidationError) as error:
            password_validation.validate_password(password, user)
        refused[reason] = [e.code for e in error.value.error_list]

    assert refused == {
        "short": ["password_too_short"],
        "common": ["password_too_common"],
        "numeric": ["password_entirely_numeric"],
        "similar": ["password_too_similar"],
    }
    assert password_validation.validate_password(STRONG, user) is None


@pytest.mark.parametrize("reason", sorted(WEAK))
def test_the_admin_refuses_a_new_user_with_a_weak_password(client, admin_user, django_user_model, reason):
    client.force_login(admin_user)
    weak = WEAK[reason]

    response = client.post(
        "/admin/auth/user/add/",
        {"username": "awa.officer", "usable_password": "true", "password1": weak, "password2": weak},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"]
    assert not django_user_model.objects.filter(username="awa.officer").exists()


def test_the_admin_creates_a_user_with_a_strong_password(client, admin_user, django_user_model):
    client.force_login(admin_user)
    # The profile inline's management form, as the page sends it (no profile filled in).
    (inline,) = client.get("/admin/auth/user/add/").context["inline_admin_formsets"]
    management = {
        f"{inline.formset.prefix}-{name}": value for name, value in inline.formset.management_form.initial.items()
    }

    response = client.post(
        "/admin/auth/user/add/",
        {"username": "awa.officer", "usable_password": "true", "password1": STRONG, "password2": STRONG, **management},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert django_user_model.objects.get(username="awa.officer").check_password(STRONG)


@pytest.mark.parametrize("reason", sorted(WEAK))
def test_the_admin_refuses_to_set_a_weak_password(client, admin_user, django_user_model, reason):
    user = django_user_model.objects.create_user("awa.officer", password=STRONG)
    client.force_login(admin_user)
    weak = WEAK[reason]

    response = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "true", "password1": weak, "password2": weak, "set-password": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_the_password_change_page_refuses_what_the_former_eight_character_rule_let_through(client, django_user_model):
    user = django_user_model.objects.create_user("awa.officer", password=STRONG)
    client.force_login(user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": STRONG, "new_password1": WEAK["short"], "new_password2": WEAK["short"]},
    )

    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["new_password2"]] == ["password_too_short"]
    user.refresh_from_db()
    assert user.check_password(STRONG)


@pytest.mark.parametrize("reason", sorted(WEAK))
def test_the_first_administrator_is_not_created_with_a_weak_password(monkeypatch, django_user_model, reason):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "awa.officer")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", WEAK[reason])

    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD is refused"):
        call_command("ensure_superuser", stdout=io.StringIO())

    assert not django_user_model.objects.filter(username="awa.officer").exists()


def _generated_passwords(count: int) -> list[str]:
    # The very command setup.sh runs to write DJANGO_SUPERUSER_PASSWORD into a new .env.
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    (code,) = re.findall(r"""admin_pw=\$\("\$PYTHON" -c '([^']+)'\)""", setup)
    passwords = []
    for _ in range(count):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, {})  # noqa: S102 (setup.sh's own one-line program)
        passwords.append(out.getvalue().strip())
    return passwords


def test_the_password_setup_generates_for_the_first_administrator_passes(monkeypatch, django_user_model):
    example = dict(re.findall(r"^([A-Z_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.MULTILINE))
    username = example["DJANGO_SUPERUSER_USERNAME"]
    passwords = _generated_passwords(500)
    for password in passwords:
        password_validation.validate_password(password, django_user_model(username=username))
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", username)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", passwords[0])

    call_command("ensure_superuser", stdout=io.StringIO())

    assert len(set(passwords)) == 500
    assert min(len(p) for p in passwords) >= 12
    assert django_user_model.objects.get(username=username, is_superuser=True).check_password(passwords[0])
