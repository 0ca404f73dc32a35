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

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"
