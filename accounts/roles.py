"""Roles of the national database as Django groups (DOMAIN.md, "The people"; IMSMA roles).

`roles_sync()` creates or updates them after every migration; editing a group by hand in the
admin is undone by the next migrate, so change roles here.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

AUTHORITY_ADMINISTRATOR = "authority_administrator"
IM_OFFICER = "information_management_officer"
OPERATIONS_OFFICER = "operations_officer"
QM_OFFICER = "quality_management_officer"
PARTNER_DATA_MANAGER = "partner_data_manager"
PARTNER_FIELD_USER = "partner_field_user"
VIEWER = "viewer"

ROLE_LABELS = {
    AUTHORITY_ADMINISTRATOR: _("Authority administrator"),
    IM_OFFICER: _("Information management officer (verifies and approves)"),
    OPERATIONS_OFFICER: _("Operations officer"),
    QM_OFFICER: _("Quality management officer"),
    PARTNER_DATA_MANAGER: _("Partner data manager"),
    PARTNER_FIELD_USER: _("Partner field user (submits only)"),
    VIEWER: _("Viewer (aggregates only)"),
}


def _records(duty: str | None = None) -> dict[str, tuple[str, ...]]:
    """Record types by app, from the registry (core.registry); `duty` keeps those of one duty."""
    from core import registry

    models: dict[str, tuple[str, ...]] = {}
    for entry in registry.entries():
        if duty is None or duty in entry.duties:
            meta = entry.model._meta
            if meta.model_name == "casualtyidentity":
                continue  # personal data: its own permissions below
            models[meta.app_label] = (*models.get(meta.app_label, ()), meta.model_name)
    return models


def _codes(actions: tuple[str, ...], models: dict[str, tuple[str, ...]]) -> set[str]:
    return {f"{app}.{action}_{model}" for app, names in models.items() for model in names for action in actions}


_READ_REFERENCE = _codes(("view",), {"reference": ("administrativearea", "locality", "organisation", "ordnancetype")})
_EDIT_REFERENCE = _codes(
    ("add", "change", "view"), {"reference": ("administrativearea", "locality", "organisation", "ordnancetype")}
)
_IDENTITY_WRITE = {"incidents.add_casualtyidentity"}
_IDENTITY_READ = {
    "incidents.view_casualtyidentity",
    "incidents.change_casualtyidentity",
    "incidents.view_identityaccesslog",
}


# Field submissions as sent (field.models.FieldSubmission): those kept with errors are for a data
# manager to read and report again; the admin shows a partner its own organisation's only.
_FIELD_SUBMISSIONS = {"field.view_fieldsubmission"}
# The capacity an Article 5 work plan assumes (reports.models.ClearanceCapacity): the authority's.
_CAPACITY = {f"reports.{p}_clearancecapacity" for p in ("view", "add", "change", "delete")}


def role_permissions() -> dict[str, set[str]]:
    """Each role's permissions. Partners write their own reports but only read the authority's
    quality inspections; which records, and in which state, is core.policy's question."""
    records, operations, quality = _records(), _records("operations"), _records("quality")
    reports = {app: tuple(m for m in names if m not in quality.get(app, ())) for app, names in records.items()}
    return {
        AUTHORITY_ADMINISTRATOR: (
            _codes(("view", "add", "change", "delete"), records) | _EDIT_REFERENCE | _IDENTITY_WRITE | _IDENTITY_READ
            | {f"accounts.{p}" for p in ("submit_record", "approve_record", "reopen_record", "merge_record",
                                          "view_statistics", "view_profile", "add_profile", "change_profile")}
            | {"auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group"}
            # Organisations' own API request limits (accounts.models.ApiQuota).
            | {f"accounts.{p}_apiquota" for p in ("view", "add", "change", "delete")}
            | _CAPACITY | _FIELD_SUBMISSIONS
            # A colleague who lost the phone with their second factor gets it removed here.
            | {"otp_totp.view_totpdevice", "otp_totp.delete_totpdevice"}
        ),
        IM_OFFICER: (
            _codes(("view", "add", "change", "delete"), records) | _READ_REFERENCE | _IDENTITY_WRITE
            | _IDENTITY_READ
            | {f"accounts.{p}" for p in ("submit_record", "approve_record", "reopen_record", "merge_record",
                                          "view_statistics")}
            | _CAPACITY | _FIELD_SUBMISSIONS
        ),
        OPERATIONS_OFFICER: (
            _codes(("view",), records) | _codes(("add", "change"), operations) | _READ_REFERENCE
            | {"accounts.submit_record", "accounts.view_statistics"}
        ),
        QM_OFFICER: (
            _codes(("view",), records) | _codes(("add", "change", "delete"), quality) | _READ_REFERENCE
            | {"accounts.view_statistics"}
        ),
        PARTNER_DATA_MANAGER: (
            _codes(("view",), records) | _codes(("add", "change", "delete"), reports) | _READ_REFERENCE
            | _IDENTITY_WRITE | {"accounts.submit_record", "accounts.view_statistics"} | _FIELD_SUBMISSIONS
        ),
        PARTNER_FIELD_USER: (
            _codes(("view",), records) | _codes(("add",), reports) | _READ_REFERENCE | _IDENTITY_WRITE
            | {"accounts.submit_record"}
        ),
        VIEWER: {"accounts.view_statistics"},
    }  # fmt: skip


def roles_sync() -> None:
    """Creates each role's group and gives it exactly its permissions."""
    for name, codes in role_permissions().items():
        group, _created = Group.objects.get_or_create(name=name)
        query = Q(pk__in=[])
        for code in codes:
            app_label, codename = code.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(query))
        missing = codes - {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        if missing:
            raise RuntimeError(f"role {name}: unknown permissions {sorted(missing)}")
        group.permissions.set(permissions)
