"""The approval workflow (IMSMA: save, submit, verify, approve or reject).

draft → submitted → approved | rejected (with a reason); rejected → submitted again;
approved → submitted again when reopened for correction (with a reason). Only approved
records count in the national picture.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import is_authority
from core.exceptions import ApplicationError
from core.history import recorded
from core.models import RecordStatus
from core.selectors import record_editable, records_visible


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    permission: str
    needs_reason: bool
    authority_only: bool


TRANSITIONS = {
    "submit": Transition(
        frozenset({RecordStatus.DRAFT, RecordStatus.REJECTED}), RecordStatus.SUBMITTED, "accounts.submit_record",
        needs_reason=False, authority_only=False,
    ),
    "approve": Transition(
        frozenset({RecordStatus.SUBMITTED}), RecordStatus.APPROVED, "accounts.approve_record",
        needs_reason=False, authority_only=True,
    ),
    "reject": Transition(
        frozenset({RecordStatus.SUBMITTED}), RecordStatus.REJECTED, "accounts.approve_record",
        needs_reason=True, authority_only=True,
    ),
    "reopen": Transition(
        frozenset({RecordStatus.APPROVED}), RecordStatus.SUBMITTED, "accounts.reopen_record",
        needs_reason=True, authority_only=True,
    ),
}  # fmt: skip

ACTION_LABELS = {
    "submit": gettext_lazy("submit"),
    "approve": gettext_lazy("approve"),
    "reject": gettext_lazy("reject"),
    "reopen": gettext_lazy("reopen"),
}


def transition_allowed(*, user, record: Model, action: str) -> bool:
    rule = TRANSITIONS[action]
    if not user.has_perm(rule.permission):
        return False
    if rule.authority_only:
        return is_authority(user)
    # Submitting is the reporter's act (or the authority's on its behalf).
    return record_editable(record, user)


@transaction.atomic
def record_transition(*, record: Model, user, action: str, reason: str = "") -> Model:
    """Moves a record along the workflow, with who, when and why in its history."""
    if action not in TRANSITIONS:
        raise ApplicationError(_("Unknown action."), errors={"action": [_("Unknown action.")]})
    rule = TRANSITIONS[action]
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if not transition_allowed(user=user, record=record, action=action):
        raise PermissionDenied(_("Your role may not %(action)s this record.") % {"action": ACTION_LABELS[action]})
    if record.status not in rule.sources:
        raise ApplicationError(
            _("Cannot %(action)s a record that is %(status)s.")
            % {"status": record.get_status_display().lower(), "action": ACTION_LABELS[action]},
            errors={"status": [_("Not possible from status “%(status)s”.") % {"status": record.get_status_display()}]},
        )
    reason = (reason or "").strip()
    if rule.needs_reason and not reason:
        raise ApplicationError(_("Say why."), errors={"reason": [_("A reason is required to %(action)s.") % {
            "action": ACTION_LABELS[action]}]})  # fmt: skip
    with recorded(user=user, action=action, reason=reason):
        type(record).all_objects.filter(pk=record.pk).update(
            status=rule.target,
            status_reason=reason,
            status_changed_at=timezone.now(),
            updated_at=timezone.now(),
            updated_by=user if getattr(user, "pk", None) else None,
            version=F("version") + 1,
        )
    record.refresh_from_db()
    _after_transition(record)
    return record


def _after_transition(record: Model) -> None:
    # The national picture follows approvals: a hazard's remaining area and status.
    from hazards.models import LandReleaseActivity
    from hazards.services import hazard_areas_recompute

    if isinstance(record, LandReleaseActivity) and record.hazard_area_id:
        hazard_areas_recompute(ids=[record.hazard_area_id])


@transaction.atomic
def record_delete(*, record: Model, user, reason: str = "", action: str = "delete") -> None:
    """Soft deletion: the record leaves every list and figure; its history stays, and it can be restored.

    `action` names the act in the history when deletion is part of another (a merge)."""
    with recorded(user=user, action=action, reason=reason):
        type(record).all_objects.filter(pk=record.pk).update(
            deleted_at=timezone.now(), updated_by=user, version=F("version") + 1
        )
    _after_transition(record)


@transaction.atomic
def record_restore(*, record: Model, user) -> Model:
    if record.deleted_at is None:
        raise ApplicationError(_("This record is not deleted."), errors={"deleted_at": [_("Not deleted.")]})
    with recorded(user=user, action="restore"):
        type(record).all_objects.filter(pk=record.pk).update(
            deleted_at=None, updated_by=user, updated_at=timezone.now(), version=F("version") + 1
        )
    record.refresh_from_db()
    _after_transition(record)
    return record


def merge_allowed(user) -> bool:
    """Merging duplicate reports is the authority's act, for roles holding `accounts.merge_record`."""
    return user.has_perm("accounts.merge_record") and is_authority(user)


def check_merge_statuses(keep: Model, duplicate: Model) -> None:
    """An approved record's figures must not leave the national picture through a merge:
    keep the approved one (or approve the other first)."""
    if duplicate.status == RecordStatus.APPROVED and keep.status != RecordStatus.APPROVED:
        raise ApplicationError(
            _("Keep the approved record: merge this one into it, not the other way round."),
            errors={"duplicate": [_("The duplicate is approved and the record kept is not.")]},
        )


def merge_pair_lock(model, keep: Model, duplicate: Model, user) -> tuple[Model, Model]:
    """Both records of a merge: the user may merge, they differ, are live, visible to the user,
    and locked in id order (no deadlock); an approved duplicate only goes into an approved record."""
    if not merge_allowed(user):
        raise PermissionDenied(_("Your role may not merge records."))
    if keep.pk == duplicate.pk:
        raise ApplicationError(
            _("A record cannot be merged into itself."), errors={"duplicate": [_("Choose another record.")]}
        )
    pair = [keep.pk, duplicate.pk]
    locked = {r.pk: r for r in model.objects.select_for_update().filter(pk__in=pair).order_by("pk")}
    if len(locked) != 2:
        raise ApplicationError(
            _("One of the records no longer exists."),
            errors={"duplicate": [_("The record was deleted or merged meanwhile.")]},
        )
    if records_visible(model.objects.filter(pk__in=pair), user).count() != 2:
        raise PermissionDenied(_("You may merge only records you can see."))
    check_merge_statuses(locked[keep.pk], locked[duplicate.pk])
    return locked[keep.pk], locked[duplicate.pk]


def merge_reason(*, keep: Model, duplicate: Model, reason: str) -> str:
    text = _("Merged %(duplicate)s into %(keep)s") % {"duplicate": duplicate.reference, "keep": keep.reference}
    reason = (reason or "").strip()
    return f"{text}: {reason}"[:500] if reason else text
