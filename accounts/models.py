from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
