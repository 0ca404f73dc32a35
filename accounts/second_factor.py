"""An optional second factor for the national authority's staff: a time-based code (TOTP,
RFC 6238) from an authenticator app, kept by django-otp. Once a user has confirmed one, every
door that takes their password also asks for the code (the login page, the admin, which sends
its login to that page, and `POST /api/v1/auth/token/`); doors that cannot ask for one (ODK
Collect's basic authentication) refuse the account."""

from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.selectors import is_authority
from core.exceptions import ApplicationError

DEVICE_NAME = "authenticator"


def may_use_second_factor(user) -> bool:
    return is_authority(user)


def confirmed_device(user) -> TOTPDevice | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def code_accepted(device: TOTPDevice, code: str) -> bool:
    """A code is accepted once (django-otp remembers the last time step used)."""
    code = (code or "").replace(" ", "")
    return code.isdigit() and device.verify_token(code)


def check_code(user, code: str, *, request=None) -> None:
    """The code a user with a second factor must give with the password; nothing for others. A
    login door passes its `request`: a refused code then counts as a failed login (django-axes), so
    that codes cannot be guessed faster than passwords."""
    device = confirmed_device(user)
    if device is None:
        return
    if not (code or "").strip():
        message = _("Give the code of your authenticator app.")
    elif not code_accepted(device, code):
        message = _("Wrong or expired code.")
    else:
        return
    if request is not None:
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    raise ApplicationError(message, errors={"otp_token": [message]})


def enrolment_start(user) -> TOTPDevice:
    """A new secret to load into the app; it protects nothing until a code from it is confirmed."""
    if not may_use_second_factor(user):
        raise ApplicationError(_("A second factor is offered to the national authority's staff."))
    if confirmed_device(user) is not None:
        raise ApplicationError(_("You already have a second factor."))
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def enrolment_confirm(user, code: str) -> TOTPDevice:
    device = pending_device(user)
    if device is None or not code_accepted(device, code):
        raise ApplicationError(_("Wrong or expired code."), errors={"otp_token": [_("Wrong or expired code.")]})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def second_factor_remove(user, code: str) -> None:
    """Only with a current code: a stolen session alone cannot turn the second factor off."""
    device = confirmed_device(user)
    if device is None:
        return
    check_code(user, code)
    TOTPDevice.objects.filter(user=user).delete()
