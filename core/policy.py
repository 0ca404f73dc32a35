"""Who may do what: every service asks here, with the acting user, before it writes.

DOMAIN.md, "The people": the authority sees and manages the whole national database (or
the régions its staff are limited to); a partner reports for its own organisation, sees
approved national data and its own records, edits its own records while they are drafts
or rejected (a submitted record is frozen until approved, rejected or withdrawn), and
never reads casualty identities. What a role may do at all comes from its permissions
(`accounts.roles`); which records, from here and `core.selectors`.

Each `check_*` raises `PermissionDenied` with the reason in the user's language; each
`may_*` answers the same question with a boolean, for pages that only show or hide a
button. Scheduled jobs, data loads and commands act as `SYSTEM`.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.utils.translation import gettext as _

from accounts.selectors import is_authority, user_organisation
from core import registry
from core.models import RecordStatus
from core.selectors import records_visible

# Statuses in which the reporter may still change or delete its record.
OPEN_STATUSES = frozenset({RecordStatus.DRAFT, RecordStatus.REJECTED})


class SystemActor:
    """A scheduled job, a data load or a command: acts with the authority's rights, and is
    named "system" in the history. Never a person: it has no id and logs nobody in."""

    pk = id = None
    username = "system"
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_staff = False
    is_anonymous = False

    def has_perm(self, perm: str, obj=None) -> bool:
        return True

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def _refuse(message: str):
    raise PermissionDenied(message)


def _may(check, *args) -> bool:
    """A `check_*` question answered yes or no, for pages that only show or hide a button."""
    try:
        check(*args)
    except PermissionDenied:
        return False
    return True


def _require_perm(user, entry: registry.RecordType, action: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        _refuse(_("Sign in first."))
    if not user.has_perm(entry.permission(action)):
        messages = {
            "view": _("Your role may not read %(records)s."),
            "add": _("Your role may not record %(records)s."),
            "change": _("Your role may not change %(records)s."),
            "delete": _("Your role may not delete %(records)s."),
        }
        _refuse(messages[action] % {"records": entry.label})


def _owner(record: Model) -> tuple[registry.RecordType, Model]:
    entry = registry.get(record)
    return entry, entry.owner(record)


def _is_reporter(user, owner: Model) -> bool:
    organisation = user_organisation(user)
    return organisation is not None and owner.organisation_id == organisation.pk


# --- Reading -----------------------------------------------------------------------------


def may_view(user, record: Model) -> bool:
    """The record is in what the user may read (organisation, status, régions): the same
    selector as every list."""
    entry = registry.get(record)
    if not getattr(user, "is_authenticated", False) or not user.has_perm(entry.permission("view")):
        return False
    if user is SYSTEM:
        return True
    model = type(record)._meta.concrete_model
    everything = getattr(model, "all_objects", model._default_manager)
    return records_visible(everything.filter(pk=record.pk), user, entry=entry).exists()


def check_view(user, record: Model) -> None:
    if not may_view(user, record):
        _refuse(_("This record is not visible to you."))


def may_read_personal_fields(user, record: Model) -> bool:
    """Personal data written with a record (a community member's name...) is read by the
    authority and by the organisation that wrote it, not by other partners."""
    if is_authority(user):
        return True
    _entry, owner = _owner(record)
    return _is_reporter(user, owner)


def check_read_identity(user, casualty: Model) -> None:
    """Casualty identities: only roles holding the permission, and only for visible casualties."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm("incidents.view_casualtyidentity"):
        _refuse(_("Reading casualty identities needs a permission your role does not have."))
    check_view(user, casualty)


def check_write_identity(user, casualty: Model, *, creating: bool) -> None:
    """A casualty's identity is written with its report by whoever may change the report and
    holds the permission; changing an identity already recorded needs the right to read it."""
    perm = "incidents.add_casualtyidentity" if creating else "incidents.change_casualtyidentity"
    if not getattr(user, "is_authenticated", False) or not user.has_perm(perm):
        _refuse(_("Writing casualty identities needs a permission your role does not have."))
    _check_change_owner(user, casualty)


# --- Writing -----------------------------------------------------------------------------


def check_report_for(user, model: type[Model], organisation) -> None:
    """A new record of `model` reported for `organisation`: a partner reports for its own
    organisation only; the authority for any."""
    entry = registry.get(model)
    _require_perm(user, entry, "add")
    if entry.authority_writes and not is_authority(user):
        _refuse(_("Only the national authority records %(records)s.") % {"records": entry.label})
    if is_authority(user):
        return
    own = user_organisation(user)
    if own is None:
        _refuse(_("Your account reports for no organisation."))
    if organisation is None or organisation.pk != own.pk:
        _refuse(_("You report for your own organisation only."))


def check_add_to(user, model: type[Model], parent: Model) -> None:
    """A record that is part of another one's report (a casualty of an incident, an item found
    by an activity): adding it changes the parent."""
    _require_perm(user, registry.get(model), "add")
    _check_change_owner(user, parent)


def _check_change_owner(user, owner_record: Model) -> None:
    entry, owner = _owner(owner_record)
    check_view(user, owner_record)
    if entry.authority_writes or registry.get(owner).authority_writes:
        if not is_authority(user):
            _refuse(_("Only the national authority changes %(records)s.") % {"records": entry.label})
        return
    if is_authority(user):
        return
    if not _is_reporter(user, owner):
        _refuse(_("Only the reporting organisation changes this record."))
    if owner.status not in OPEN_STATUSES:
        if owner.status == RecordStatus.SUBMITTED:
            _refuse(_("The record is submitted and waits for approval: withdraw it to change it."))
        _refuse(_("The record is approved: only the authority changes it now (ask for it to be reopened)."))


def check_change(user, record: Model) -> None:
    _require_perm(user, registry.get(record), "change")
    _check_change_owner(user, record)


def may_change(user, record: Model) -> bool:
    return _may(check_change, user, record)


def check_delete(user, record: Model) -> None:
    """A draft or rejected report is deleted by its reporter or the authority; an approved or
    submitted one is not: reopen or reject it first, so that the national figures never lose
    a record silently. Records of the authority's own (inspections) follow its roles."""
    entry, owner = _owner(record)
    _require_perm(user, entry, "delete")
    check_view(user, record)
    if entry.authority_writes or registry.get(owner).authority_writes:
        if not is_authority(user):
            _refuse(_("Only the national authority deletes %(records)s.") % {"records": entry.label})
        return
    if not is_authority(user) and not _is_reporter(user, owner):
        _refuse(_("Only the reporting organisation or the authority deletes this record."))
    if owner.status not in OPEN_STATUSES:
        _refuse(_("Only a draft or a rejected record is deleted."))


def may_delete(user, record: Model) -> bool:
    return _may(check_delete, user, record)


def check_restore(user, record: Model) -> None:
    entry, owner = _owner(record)
    _require_perm(user, entry, "delete")
    check_view(user, record)
    if not is_authority(user) and not _is_reporter(user, owner):
        _refuse(_("Only the reporting organisation or the authority restores this record."))


# --- Workflow ------------------------------------------------------------------------------


def check_transition(user, record: Model, action: str) -> None:
    """The approval workflow (core.workflow.TRANSITIONS): approving, rejecting and reopening
    are the authority's acts; submitting and withdrawing the reporter's (or the authority's
    on its behalf)."""
    from core.workflow import ACTION_LABELS, TRANSITIONS

    rule = TRANSITIONS[action]
    if not getattr(user, "is_authenticated", False) or not user.has_perm(rule.permission):
        _refuse(_("Your role may not %(action)s this record.") % {"action": ACTION_LABELS[action]})
    check_view(user, record)
    if rule.authority_only:
        if not is_authority(user):
            _refuse(_("Only the national authority may %(action)s a record.") % {"action": ACTION_LABELS[action]})
        return
    if not is_authority(user) and not _is_reporter(user, record):
        _refuse(_("Only the reporting organisation may %(action)s this record.") % {"action": ACTION_LABELS[action]})


def may_transition(user, record: Model, action: str) -> bool:
    return _may(check_transition, user, record, action)


def check_merge(user) -> None:
    """Merging duplicate reports is the authority's act, for roles holding `accounts.merge_record`."""
    if not (getattr(user, "is_authenticated", False) and user.has_perm("accounts.merge_record")):
        _refuse(_("Your role may not merge records."))
    if not is_authority(user):
        _refuse(_("Only the national authority merges records."))


def may_merge(user) -> bool:
    return _may(check_merge, user)


# The right to read figures (statistics, the dashboard, treaty reports, open data): accounts.roles.
STATISTICS_PERMISSION = "accounts.view_statistics"


def may_read_statistics(user) -> bool:
    """The statistics permission, or the authority; never an anonymous user."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.has_perm(STATISTICS_PERMISSION) or is_authority(user)
    )
