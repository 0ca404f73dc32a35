"""API tokens that expire: a key copied into a partner's script years ago stops opening the
national database (settings.API_TOKEN_DAYS); the owner exchanges the password for a new one."""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def token_expires(token) -> datetime.datetime:
    return token.created + datetime.timedelta(days=settings.API_TOKEN_DAYS)


def token_expired(token) -> bool:
    return token_expires(token) <= timezone.now()


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise AuthenticationFailed(_("This token has expired: ask for a new one with your password."))
        return user, token


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """The same `Authorization: Token <key>` scheme in the OpenAPI description."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }
