"""Imports of files and submissions from the field: what came in, from whom, and what became of it.

Every record made from them passes the same services and rules as any other (DOMAIN.md); these
tables keep the source: the file and its mapping, each row's fate, and each field submission with
its errors when a rule refused it, so that nothing sent is ever lost.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Record types a file may bring, by the API's resource names.
IMPORT_TYPES = (
    ("incidents", _("Incidents")),
    ("hazard-areas", _("Hazardous areas")),
    ("land-release-activities", _("Land release activities")),
    ("risk-education-sessions", _("Risk education sessions")),
)


class ImportMapping(models.Model):
    """A saved, reusable reading of a partner's files: which source column gives which field, and
    which source value means which of ours (a partner's device codes to our categories)."""

    name = models.SlugField(_("name"), max_length=100, unique=True)
    record_type = models.CharField(_("record type"), max_length=40, choices=IMPORT_TYPES)
    organisation = models.ForeignKey(
        "reference.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("organisation"),
    )  # fmt: skip
    # {"source column": "field"}; a column not named keeps its own name.
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    # {"field": {"source value": "our value"}}.
    values = models.JSONField(_("values"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class RecordImport(models.Model):
    """One file brought in: first checked (the dry run, nothing saved), then, once its owner
    confirms, imported all or nothing."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")

    record_type = models.CharField(_("record type"), max_length=40, choices=IMPORT_TYPES)
    organisation = models.ForeignKey(
        "reference.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    # None for an import run by `manage.py import_records` as the system.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="record_imports",
        verbose_name=_("owner"),
    )  # fmt: skip
    mapping = models.ForeignKey(
        ImportMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports",
        verbose_name=_("mapping"),
    )  # fmt: skip
    file_name = models.CharField(_("file name"), max_length=255)
    # Relative to settings.IMPORT_ROOT.
    file_path = models.CharField(_("file"), max_length=255)
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    to_create = models.PositiveIntegerField(_("to create"), default=0)
    to_update = models.PositiveIntegerField(_("to update"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.record_type} {self.file_name} #{self.pk}"


class ImportRow(models.Model):
    """What the dry run found for one row of the file (numbered as a spreadsheet numbers it: the
    header is row 1), and after the import, the record it made or changed."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        UNCHANGED = "unchanged", _("Unchanged")
        REJECT = "reject", _("Reject")

    record_import = models.ForeignKey(RecordImport, on_delete=models.CASCADE, related_name="lines")
    number = models.PositiveIntegerField(_("row"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    external_id = models.CharField(_("external identifier"), max_length=100, blank=True, default="")
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ("record_import", "number")
        constraints = [models.UniqueConstraint(fields=["record_import", "number"], name="field_importrow_unique")]

    def __str__(self) -> str:
        return f"{self.number}: {self.action}"


class FieldSubmission(models.Model):
    """One report sent from the field (ODK Collect, or pulled from KoboToolbox), kept as sent. A
    submission a rule refused stays here with its errors for a data manager to fix, never lost; the
    same instance sent again is recognised by its instance id and never duplicates."""

    class Source(models.TextChoices):
        ODK = "odk", "ODK Collect"
        KOBO = "kobo", "KoboToolbox"

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Kept with errors")

    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    instance_id = models.CharField(_("instance id"), max_length=100, unique=True)
    form_id = models.CharField(_("form"), max_length=100)
    form_version = models.CharField(_("form version"), max_length=50, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("sent by"),
    )  # fmt: skip
    organisation = models.ForeignKey(
        "reference.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    # The instance as sent: XForm XML from ODK Collect, JSON from KoboToolbox.
    payload = models.TextField(_("payload"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Names of the files sent with it, stored under settings.FIELD_ATTACHMENT_ROOT/<id>/.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    record_type = models.CharField(_("record type"), max_length=40, blank=True, default="")
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("field submission")
        verbose_name_plural = _("field submissions")
        ordering = ("-received_at", "-id")

    def __str__(self) -> str:
        return f"{self.form_id} {self.instance_id}"


class KoboSource(models.Model):
    """A KoboToolbox asset (a form deployed there) whose submissions are pulled into the database,
    on Celery beat and on demand, as the user named here."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    server_url = models.URLField(_("server"), help_text=_("For example https://kf.kobotoolbox.org"))
    asset_uid = models.CharField(_("asset uid"), max_length=64)
    api_token = models.CharField(_("API token"), max_length=100)
    form_id = models.CharField(_("form"), max_length=100, help_text=_("Which of the system's forms the asset is."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("records made as")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    last_pulled_at = models.DateTimeField(_("last pulled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("KoboToolbox source")
        verbose_name_plural = _("KoboToolbox sources")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name
