"""The approval workflow (IMSMA: save, submit, verify, approve or reject).

draft → submitted → approved | rejected (with a reason); rejected → submitted again;
submitted → draft when the reporter withdraws it to change it; approved → submitted again
when reopened for correction (with a reason). Only approved records count in the national
picture. Who may make each move is decided by `core.policy`.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import policy, registry
from core.exceptions import ApplicationError, RecordChanged
from core.history import recorded
from core.models import RecordStatus, Removal
from core.services import clean_text
from core.statistics import statistics_changed

REASON_MAX_LENGTH = 500


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
    "withdraw": Transition(
        frozenset({RecordStatus.SUBMITTED}), RecordStatus.DRAFT, "accounts.submit_record",
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

# The workflow's moves by name, in order (the API's enum of actions).
ACTIONS = tuple(TRANSITIONS)

ACTION_LABELS = {
    "submit": gettext_lazy("submit"),
    "withdraw": gettext_lazy("withdraw"),
    "approve": gettext_lazy("approve"),
    "reject": gettext_lazy("reject"),
    "reopen": gettext_lazy("reopen"),
}


def transition_allowed(*, user, record: Model, action: str) -> bool:
    return policy.may_transition(user, record, action)


@transaction.atomic
def record_transition(*, record: Model, user, action: str, reason: str = "", version: int | None = None) -> Model:
    """Moves a record along the workflow, with who, when and why in its history.

    An approval carries the version the officer read (`version`): a change made since is
    never approved unseen (RecordChanged). Other moves check it when given.
    """
    if action not in TRANSITIONS:
        raise ApplicationError(_("Unknown action."), errors={"action": [_("Unknown action.")]})
    rule = TRANSITIONS[action]
    record = type(record).objects.select_for_update().get(pk=record.pk)
    policy.check_transition(user, record, action)
    # Before the status: an approval that lost a race to another reads "changed since", not
    # "cannot approve an approved record".
    if version is not None and version != record.version:
        raise RecordChanged()
    if record.status not in rule.sources:
        raise ApplicationError(
            _("Cannot %(action)s a record that is %(status)s.")
            % {"status": record.get_status_display().lower(), "action": ACTION_LABELS[action]},
            errors={"status": [_("Not possible from status “%(status)s”.") % {"status": record.get_status_display()}]},
        )
    if version is None and action == "approve" and user is not policy.SYSTEM:
        raise ApplicationError(
            _("Say which version you approve."),
            errors={"version": [_("Give the version you read (its ETag) to approve it.")]},
        )
    reason = clean_text(reason, "reason", max_length=REASON_MAX_LENGTH)
    if rule.needs_reason and not reason:
        raise ApplicationError(_("Say why."), errors={"reason": [_("A reason is required to %(action)s.") % {
            "action": ACTION_LABELS[action]}]})  # fmt: skip
    was_public = record.status == RecordStatus.APPROVED
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
    if was_public:
        # Other partners saw it in the national data: tell their syncs it left.
        removal_record(record=record, reason=Removal.Reason.WITHDRAWN, was_public=True)
    elif record.status == RecordStatus.APPROVED:
        Removal.objects.filter(**_removal_key(record), reason=Removal.Reason.WITHDRAWN).delete()
    _after_change(record)
    return record


def _after_change(record: Model) -> None:
    statistics_changed(type(record))
    # The national picture follows approvals (a hazard's remaining area and status).
    hook = registry.get(record).on_status_change
    if hook is not None:
        hook(record)


def _removal_key(record: Model) -> dict:
    return {"record_type": registry.get(record).slug or registry.get(record).model_label, "record_id": record.pk}


def removal_record(
    *, record: Model, reason: str, merged_into: Model | None = None, was_public: bool | None = None
) -> Removal:
    """The tombstone a partner's sync reads (core.models.Removal); `was_public` defaults to the
    record's status being approved."""
    entry = registry.get(record)
    owner = entry.owner(record)
    area = record
    for step in entry.region_path.split("__")[:-1]:
        area = getattr(area, step)
    return Removal.objects.create(
        **_removal_key(record),
        external_id=record.external_id or "",
        organisation_id=owner.organisation_id,
        admin_area_id=getattr(area, f"{entry.region_path.split('__')[-1]}_id", None),
        reason=reason,
        merged_into=merged_into.pk if merged_into is not None else None,
        was_public=owner.status == RecordStatus.APPROVED if was_public is None else was_public,
    )


@transaction.atomic
def record_delete(*, record: Model, user, reason: str = "") -> None:
    """Soft deletion by the reporter or the authority (core.policy.check_delete): the record
    leaves every list and figure; its history stays, and it can be restored."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    policy.check_delete(user, record)
    record_soft_delete(record=record, user=user, reason=clean_text(reason, "reason", max_length=REASON_MAX_LENGTH))


def record_soft_delete(
    *, record: Model, user, reason: str = "", action: str = "delete", merged_into: Model | None = None
) -> None:
    """The deletion itself, for callers that checked their own rule (a merge: core.policy.check_merge)."""
    with recorded(user=user, action=action, reason=reason):
        type(record).all_objects.filter(pk=record.pk).update(
            deleted_at=timezone.now(),
            updated_at=timezone.now(),
            updated_by=user if getattr(user, "pk", None) else None,
            version=F("version") + 1,
        )
    removal_record(
        record=record,
        reason=Removal.Reason.MERGED if merged_into is not None else Removal.Reason.DELETED,
        merged_into=merged_into,
    )
    _after_change(record)


@transaction.atomic
def record_restore(*, record: Model, user) -> Model:
    if record.deleted_at is None:
        raise ApplicationError(_("This record is not deleted."), errors={"deleted_at": [_("Not deleted.")]})
    policy.check_restore(user, record)
    with recorded(user=user, action="restore"):
        type(record).all_objects.filter(pk=record.pk).update(
            deleted_at=None,
            updated_by=user if getattr(user, "pk", None) else None,
            updated_at=timezone.now(),
            version=F("version") + 1,
        )
    record.refresh_from_db()
    # Back in every list: it reappears in the `updated_since` stream, not as removed.
    Removal.objects.filter(**_removal_key(record), reason__in=[Removal.Reason.DELETED, Removal.Reason.MERGED]).delete()
    _after_change(record)
    return record


def merge_allowed(user) -> bool:
    return policy.may_merge(user)


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
    policy.check_merge(user)
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
    for record in locked.values():
        policy.check_view(user, record)
    check_merge_statuses(locked[keep.pk], locked[duplicate.pk])
    return locked[keep.pk], locked[duplicate.pk]


def merge_reason(*, keep: Model, duplicate: Model, reason: str) -> str:
    text = _("Merged %(duplicate)s into %(keep)s") % {"duplicate": duplicate.reference, "keep": keep.reference}
    reason = (reason or "").strip()
    return f"{text}: {reason}"[:500] if reason else text
