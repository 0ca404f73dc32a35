"""The login forms of the pages and of the admin: the password, and the code of the second factor
for an account that has one (accounts.second_factor)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts import second_factor
from core.exceptions import ApplicationError


class SecondFactorMixin(forms.Form):
    otp_token = forms.CharField(
        label=_("Code of your authenticator app"),
        help_text=_("Only if you have set up a second factor."),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None:
            try:
                second_factor.check_code(user, cleaned.get("otp_token", ""), request=self.request)
            except ApplicationError as refused:
                self.user_cache = None
                raise forms.ValidationError({"otp_token": refused.errors["otp_token"]}) from None
        return cleaned


class LoginForm(SecondFactorMixin, AuthenticationForm):
    pass


class AdminLoginForm(SecondFactorMixin, AdminAuthenticationForm):
    pass


class SecondFactorCodeForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code of your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
