"""Fields every reported record of the national database carries."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecordStatus(models.TextChoices):
    """Approval workflow of a field report (IMSMA: save, submit, verify, approve or reject)."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class TrackedModel(models.Model):
    """Who created and last changed a record, and when."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
        # Accounts are deactivated, not deleted: no index read on every write for a rare delete.
        db_index=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
        editable=False,
        db_index=False,
    )

    class Meta:
        abstract = True


class LiveManager(models.Manager):
    """Records not deleted: deletion of domain records is soft, so that history survives."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class ReportedRecord(TrackedModel):
    """A record reported by an organisation, in the approval workflow.

    Only approved records count in official figures. `external_id` is the reporting
    organisation's own identifier, so that its systems can send the same record twice
    without duplicating it.
    """

    organisation = models.ForeignKey(
        "reference.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reporting organisation"),
    )
    status = models.CharField(
        _("workflow status"),
        max_length=12,
        choices=RecordStatus.choices,
        default=RecordStatus.DRAFT,
        db_index=True,
    )
    status_reason = models.CharField(
        _("reason of the last status change"),
        max_length=500,
        blank=True,
        editable=False,
        db_default="",
        help_text=_("Why the record was rejected or reopened."),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True, editable=False)
    # Not indexed: lists ask for the live records (nearly all of them), which no index serves.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    # Optimistic concurrency: every change raises the version; the API sends it as the ETag.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    # NULL rather than "": records sent without one must not collide in the unique constraint.
    external_id = models.CharField(  # noqa: DJ001
        _("external identifier"),
        max_length=100,
        null=True,
        blank=True,
        help_text=_("The reporting organisation's own identifier for this record."),
    )

    objects = LiveManager()
    # Deleted records too: history, restoring, and related lookups.
    all_objects = models.Manager()  # noqa: DJ012

    class Meta:
        abstract = True
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                name="%(app_label)s_%(class)s_unique_external_id",
                condition=models.Q(external_id__isnull=False),
            ),
        ]


class Removal(models.Model):
    """A record that left someone's view, so that a partner syncing with `updated_since` learns it.

    Deleted (by its reporter or the authority), merged into another record (`merged_into`), or
    withdrawn from the national picture (an approved record reopened for correction: other
    partners no longer see it until it is approved again). A record that comes back (restored,
    approved again) loses its removal entries and reappears in the `updated_since` stream.
    """

    class Reason(models.TextChoices):
        DELETED = "deleted", _("Deleted")
        MERGED = "merged", _("Merged into another record")
        WITHDRAWN = "withdrawn", _("Withdrawn from the approved national data")

    record_type = models.CharField(_("record type"), max_length=40, db_index=True)
    record_id = models.BigIntegerField(_("record id"))
    external_id = models.CharField(_("external identifier"), max_length=100, blank=True, default="")
    organisation = models.ForeignKey(
        "reference.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("reporting organisation")
    )
    admin_area = models.ForeignKey(
        "reference.AdministrativeArea",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("administrative area"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    merged_into = models.BigIntegerField(_("merged into"), null=True, blank=True)
    # Approved when it left: every partner had seen it, so every partner is told.
    was_public = models.BooleanField(_("was approved"), default=False)
    removed_at = models.DateTimeField(_("removed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("removal")
        verbose_name_plural = _("removals")
        ordering = ["removed_at", "id"]
        indexes = [models.Index(fields=["record_type", "record_id"], name="removal_record_idx")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id} {self.reason}"


class DatePrecision(models.TextChoices):
    """How much of a record's main date is known: old registers often give only the month or
    the year of an event. The date stored is the first day of that period (the 1st of the month,
    1 January), and `core.dates` reads it as the whole period."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class DatePrecisionField(models.CharField):
    """A precision a writer may leave out: rows written before the field existed, API requests
    and forms that say nothing mean an exact day."""

    def formfield(self, **kwargs):
        return super().formfield(**{"required": False, "empty_value": DatePrecision.DAY, **kwargs})


def date_precision_field() -> DatePrecisionField:
    """The `date_precision` of a record type's main event date (core.registry's `date_field`)."""
    return DatePrecisionField(
        _("date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        db_default=DatePrecision.DAY,
        help_text=_(
            "How much of the date is known: the day, only the month (the date is stored as the 1st of the month) "
            "or only the year (stored as 1 January)."
        ),
    )


class OutboxMessage(models.Model):
    """A Celery task written to PostgreSQL in the transaction that asked for it (core.outbox), so
    that it is sent once that transaction commits and kept while the broker is unreachable."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["created_at", "id"]
        indexes = [
            # The relay and /healthz/ read only the pending rows, oldest first.
            models.Index(
                fields=["created_at", "id"], name="outbox_pending_idx", condition=models.Q(sent_at__isnull=True)
            ),
            # The relay deletes sent rows once they are old.
            models.Index(fields=["sent_at"], name="outbox_sent_idx", condition=models.Q(sent_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
