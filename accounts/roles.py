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

DOMAIN_APPS = ("hazards", "incidents", "education", "assistance", "community")
RECORDS = {
    "hazards": ("hazardarea", "landreleaseactivity", "itemfound", "qualityinspection", "nonconformity"),
    "incidents": ("incident", "incidentsource", "casualty"),
    "education": ("riskeducationsession",),
    "assistance": ("survivor", "assistanceservice"),
    "community": ("communityreport",),
}


def _codes(actions: tuple[str, ...], models: dict[str, tuple[str, ...]]) -> set[str]:
    return {f"{app}.{action}_{model}" for app, names in models.items() for model in names for action in actions}


_ALL_RECORDS = RECORDS
_OPERATIONS = {"hazards": ("hazardarea", "landreleaseactivity", "itemfound"), "community": ("communityreport",)}
_QUALITY = {"hazards": ("qualityinspection", "nonconformity")}
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

ROLE_PERMISSIONS: dict[str, set[str]] = {
    AUTHORITY_ADMINISTRATOR: (
        _codes(("view", "add", "change", "delete"), _ALL_RECORDS) | _EDIT_REFERENCE | _IDENTITY_WRITE | _IDENTITY_READ
        | {f"accounts.{p}" for p in ("submit_record", "approve_record", "reopen_record", "merge_record",
                                      "view_statistics", "view_profile", "add_profile", "change_profile")}
        | {"auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group"}
    ),
    IM_OFFICER: (
        _codes(("view", "add", "change", "delete"), _ALL_RECORDS) | _READ_REFERENCE | _IDENTITY_WRITE | _IDENTITY_READ
        | {f"accounts.{p}" for p in ("submit_record", "approve_record", "reopen_record", "merge_record",
                                      "view_statistics")}
    ),
    OPERATIONS_OFFICER: (
        _codes(("view",), _ALL_RECORDS) | _codes(("add", "change"), _OPERATIONS) | _READ_REFERENCE
        | {"accounts.submit_record", "accounts.view_statistics"}
    ),
    QM_OFFICER: (
        _codes(("view",), _ALL_RECORDS) | _codes(("add", "change", "delete"), _QUALITY) | _READ_REFERENCE
        | {"accounts.view_statistics"}
    ),
    PARTNER_DATA_MANAGER: (
        _codes(("view", "add", "change", "delete"), _ALL_RECORDS) | _READ_REFERENCE | _IDENTITY_WRITE
        | {"accounts.submit_record", "accounts.view_statistics"}
    ),
    PARTNER_FIELD_USER: (
        _codes(("view", "add"), _ALL_RECORDS) | _READ_REFERENCE | _IDENTITY_WRITE | {"accounts.submit_record"}
    ),
    VIEWER: {"accounts.view_statistics"},
}  # fmt: skip


def roles_sync() -> None:
    """Creates each role's group and gives it exactly its permissions."""
    for name, codes in ROLE_PERMISSIONS.items():
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
