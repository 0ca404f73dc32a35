import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# As Django REST framework reads a rate (SimpleRateThrottle.parse_rate): requests per period.
RATE_PATTERN = re.compile(r"[1-9][0-9]{0,8}/(s|sec|second|m|min|minute|h|hour|d|day)")


class Profile(models.Model):
    """The organisation a user works for: it scopes what the user reads and writes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        "reference.Organisation", on_delete=models.PROTECT, related_name="members", verbose_name=_("organisation")
    )
    regions = models.ManyToManyField(
        "reference.AdministrativeArea",
        blank=True,
        related_name="+",
        verbose_name=_("regions"),
        help_text=_("Authority staff only: limit what this user sees to these regions (none: the whole country)."),
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        # Rights of the approval workflow, given to roles (groups) by accounts.roles.
        permissions = [
            ("submit_record", _("Can submit records for approval")),
            ("approve_record", _("Can approve or reject submitted records")),
            ("reopen_record", _("Can reopen approved records for correction")),
            ("merge_record", _("Can merge duplicate records")),
            ("view_statistics", _("Can read aggregated statistics")),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"


def validate_rate(value: str) -> None:
    if not isinstance(value, str) or not RATE_PATTERN.fullmatch(value):
        raise ValidationError(
            _("Write a number of requests per second, minute, hour or day, such as 20000/hour."), code="rate"
        )


class ApiQuota(models.Model):
    """An organisation's own limit of API requests, shared by all its accounts and scripts (a
    national import from an operator's database, a partner syncing several régions).

    An organisation without one keeps the default: each of its accounts on its own, at the rate
    of the setting `API_THROTTLE_USER` (accounts.throttling.OrganisationRateThrottle).
    """

    organisation = models.OneToOneField(
        "reference.Organisation", on_delete=models.CASCADE, related_name="api_quota", verbose_name=_("organisation")
    )
    rate = models.CharField(
        _("rate"),
        max_length=30,
        validators=[validate_rate],
        help_text=_(
            "Requests per second, minute, hour or day for all of the organisation's accounts together, such as "
            "20000/hour."
        ),
    )
    reason = models.CharField(
        _("reason"), max_length=300, blank=True, help_text=_("Why this organisation has a limit of its own.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("API request limit")
        verbose_name_plural = _("API request limits")
        ordering = ["organisation__acronym"]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.rate}"
