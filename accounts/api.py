"""Tokens for partners' scripts: each user obtains, reads and revokes their own."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import second_factor
from accounts.authentication import token_expired, token_expires
from accounts.selectors import user_organisation
from core.api.parsers import JSONParser
from core.exceptions import ApplicationError


class CredentialsSerializer(serializers.Serializer):
    # Longer than any user name: refused before django-axes records the attempt in its 255 characters.
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp_token = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=8,
        help_text="The code of your authenticator app, if your account has a second factor.",
    )


TOKEN_RESPONSE = inline_serializer(
    "ApiToken",
    {
        "token": serializers.CharField(),
        "created": serializers.DateTimeField(),
        "expires": serializers.DateTimeField(),
        "username": serializers.CharField(),
        "organisation": serializers.CharField(allow_null=True),
    },
)
TOKEN_INFO = inline_serializer(
    "ApiTokenInfo",
    {
        "has_token": serializers.BooleanField(),
        "created": serializers.DateTimeField(allow_null=True),
        "expires": serializers.DateTimeField(allow_null=True),
        "username": serializers.CharField(),
        "organisation": serializers.CharField(allow_null=True),
    },
)


class TokenView(APIView):
    throttle_scope = "token"
    # Credentials are flat: a login form or `curl --data-urlencode` sends them too.
    parser_classes = [JSONParser, FormParser]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        # Guessing passwords through this endpoint is slowed down for everyone.
        return (
            [*super().get_throttles(), ScopedRateThrottle()]
            if self.request.method == "POST"
            else super().get_throttles()
        )

    def _organisation(self, user) -> str | None:
        organisation = user_organisation(user)
        return organisation.acronym if organisation else None

    @extend_schema(request=CredentialsSerializer, responses={200: TOKEN_RESPONSE, 201: TOKEN_RESPONSE}, auth=[])
    def post(self, request):
        """Your token, from your user name and password: the existing one, or a new one (201) if you
        had none or yours expired (`expires`)."""
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # Django's request, so that django-axes counts failures here too and its middleware answers
        # a locked account or address (accounts.views.locked_out).
        code = credentials.validated_data.pop("otp_token", "")
        user = authenticate(request._request, **credentials.validated_data)
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("Wrong user name or password."))
        try:
            second_factor.check_code(user, code, request=request._request)
        except ApplicationError as refused:
            raise AuthenticationFailed(refused.message) from None
        token, created = Token.objects.get_or_create(user=user)
        if not created and token_expired(token):
            # An expired key is replaced, never handed out again.
            token.delete()
            token, created = Token.objects.create(user=user), True
        body = {
            "token": token.key,
            "created": token.created,
            "expires": token_expires(token),
            "username": user.get_username(),
            "organisation": self._organisation(user),
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses=TOKEN_INFO)
    def get(self, request):
        """Whether you hold a token, since when and until when (the key itself is not shown again)."""
        token = Token.objects.filter(user=request.user).first()
        return Response(
            {
                "has_token": token is not None,
                "created": token.created if token else None,
                "expires": token_expires(token) if token else None,
                "username": request.user.get_username(),
                "organisation": self._organisation(request.user),
            }
        )

    @extend_schema(responses={204: None})
    def delete(self, request):
        """Revokes your token; the next POST gives a new one."""
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
