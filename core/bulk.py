"""Workflow acts on a selection of records: the authority approves, rejects or reopens many
records at once, a reporter submits or withdraws many (API `…/bulk-transition/`, admin actions).

Each record still goes through `core.workflow.record_transition`, so `core.policy` decides for
each one and each one's history says who did what and why; each in its own transaction (a
savepoint when the caller holds one), so that one refusal never undoes the others, and the
rows locked for one record are released before the next is taken. What became of each record
is told per record (`TransitionOutcome`), in the order asked.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from core import registry
from core.exceptions import ApplicationError, RecordChanged
from core.selectors import records_visible
from core.workflow import ACTION_LABELS, TRANSITIONS, record_transition

# The most records one request may move: a bigger selection is sent in several requests, so that
# no request holds a web worker for minutes.
BULK_TRANSITION_MAX_RECORDS = 1000


class Outcome:
    DONE = "done"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    CHANGED = "changed"
    INVALID = "invalid"
    REPEATED = "repeated"
    CONFLICT = "conflict"


@dataclass
class TransitionOutcome:
    """What became of one record: `record` as it is after the act (None when not found)."""

    record_id: int
    outcome: str
    record: Model | None = None
    message: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.outcome == Outcome.DONE


def records_transition(
    *, model: type[Model], user, action: str, items: Sequence[tuple[int, int | None]], reason: str = ""
) -> list[TransitionOutcome]:
    """Moves each record (`items`: id and the version the user read, or None) along the workflow.

    A record the user may not see is not found, as for a single act; the same record twice in one
    selection is refused the second time. An approval carries the version read, as a single one
    does (core.workflow.record_transition): a record changed since is not approved.
    """
    if action not in TRANSITIONS:
        raise ApplicationError(_("Unknown action."), errors={"action": [_("Unknown action.")]})
    if len(items) > BULK_TRANSITION_MAX_RECORDS:
        raise ApplicationError(
            _("Too many records."),
            errors={"records": [_("At most %(max)d records per request: send the others in another one.")
                                % {"max": BULK_TRANSITION_MAX_RECORDS}]},
        )  # fmt: skip
    entry = registry.get(model)
    # The selection as the user may see it: one query, by the same selector as every list.
    visible = records_visible(model.objects.all(), user, entry=entry)
    found = {record.pk: record for record in visible.filter(pk__in=[pk for pk, _version in items])}
    outcomes, seen = [], set()
    for pk, version in items:
        if pk in seen:
            repeated = _("This record is already in this request.")
            outcomes.append(TransitionOutcome(pk, Outcome.REPEATED, message=repeated))
            continue
        seen.add(pk)
        record = found.get(pk)
        if record is None:
            outcomes.append(TransitionOutcome(pk, Outcome.NOT_FOUND, message=_("Not found.")))
            continue
        outcomes.append(_one(record, user=user, action=action, version=version, reason=reason))
    return outcomes


def _one(record: Model, *, user, action: str, version: int | None, reason: str) -> TransitionOutcome:
    try:
        with transaction.atomic():
            moved = record_transition(record=record, user=user, action=action, reason=reason, version=version)
    except PermissionDenied as exc:
        return TransitionOutcome(record.pk, Outcome.REFUSED, record, str(exc))
    except RecordChanged:
        return TransitionOutcome(
            record.pk, Outcome.CHANGED, record,
            _("The record was changed since you read it: read it again before you %(action)s it.")
            % {"action": ACTION_LABELS[action]},
        )  # fmt: skip
    except ApplicationError as exc:
        return TransitionOutcome(record.pk, Outcome.INVALID, record, exc.message, exc.errors)
    except IntegrityError:
        # Another act on the same record won a race to a constraint: this one changed nothing.
        return TransitionOutcome(
            record.pk, Outcome.CONFLICT, record,
            _("Another change of the same data was saved at the same moment: read it again and retry."),
        )  # fmt: skip
    return TransitionOutcome(record.pk, Outcome.DONE, moved)
